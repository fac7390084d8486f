{{- define "ftune.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "ftune.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "ftune.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Kafka consumer group of a stage, as the service's Kafka transport names it (prefix-stage + suffix). */}}
{{- define "ftune.groupId" -}}
{{ printf "%s-%s%s" .root.Values.kafka.groupIdPrefix .name .root.Values.kafka.groupIdSuffix }}
{{- end -}}

{{- define "ftune.authSecret" -}}
{{ default (printf "%s-auth" (include "ftune.fullname" .)) .Values.auth.existingSecret }}
{{- end -}}

{{- define "ftune.claim" -}}
{{ default (printf "%s-artifacts" (include "ftune.fullname" .)) .Values.artifacts.existingClaim }}
{{- end -}}

{{- define "ftune.otlpEndpoint" -}}
{{- if .Values.telemetry.otlpEndpoint -}}{{ .Values.telemetry.otlpEndpoint }}{{- else if .Values.telemetry.collector.enabled -}}{{ printf "http://%s-otel-collector:4318" (include "ftune.fullname" .) }}{{- end -}}
{{- end -}}

{{/* The bundled Strimzi's cluster and the KafkaUser ftune connects as. */}}
{{- define "ftune.kafkaCluster" -}}ftune-kafka{{- end -}}
{{- define "ftune.kafkaUser" -}}{{ include "ftune.fullname" . }}{{- end -}}

{{/* Secret holding the CA of the brokers' certificates (key ca.crt), or empty. */}}
{{- define "ftune.kafkaCaSecret" -}}
{{- if .Values.kafka.tls.enabled -}}
{{- if .Values.kafka.tls.caSecret -}}{{ .Values.kafka.tls.caSecret }}{{- else if .Values.kafka.strimzi.enabled -}}{{ include "ftune.kafkaCluster" . }}-cluster-ca-cert{{- end -}}
{{- end -}}
{{- end -}}

{{/* Volume and mount of the Kafka CA, when there is one. */}}
{{- define "ftune.kafkaCaVolume" -}}
{{- with (include "ftune.kafkaCaSecret" .) }}
- name: kafka-ca
  secret: { secretName: {{ . | quote }}, items: [{ key: ca.crt, path: ca.crt }] }
{{- end }}
{{- end -}}
{{- define "ftune.kafkaCaMount" -}}
{{- if include "ftune.kafkaCaSecret" . }}
- { name: kafka-ca, mountPath: /etc/ftune/kafka-ca, readOnly: true }
{{- end }}
{{- end -}}

{{/* Environment shared by the services and the training Jobs (no bearer token: Jobs call no service). */}}
{{- define "ftune.env" -}}
- name: FTUNE_KAFKA_BROKERS
  value: {{ .Values.kafka.brokers | quote }}
- name: FTUNE_KAFKA_GROUP_PREFIX
  value: {{ .Values.kafka.groupIdPrefix | quote }}
- name: FTUNE_KAFKA_SSL
  value: {{ .Values.kafka.tls.enabled | quote }}
{{- if .Values.kafka.sasl.enabled }}
- name: FTUNE_KAFKA_SASL_MECHANISM
  value: {{ .Values.kafka.sasl.mechanism | quote }}
{{- if .Values.kafka.strimzi.enabled }}
- name: FTUNE_KAFKA_SASL_USERNAME
  value: {{ include "ftune.kafkaUser" . | quote }}
- name: FTUNE_KAFKA_SASL_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ include "ftune.kafkaUser" . | quote }}, key: password } }
{{- else }}
- name: FTUNE_KAFKA_SASL_USERNAME
  valueFrom: { secretKeyRef: { name: {{ .Values.kafka.sasl.existingSecret | quote }}, key: username } }
- name: FTUNE_KAFKA_SASL_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ .Values.kafka.sasl.existingSecret | quote }}, key: password } }
{{- end }}
{{- end }}
{{- if include "ftune.kafkaCaSecret" . }}
- name: NODE_EXTRA_CA_CERTS
  value: /etc/ftune/kafka-ca/ca.crt
{{- end }}
- name: FTUNE_ARTIFACTS_DIR
  value: {{ .Values.artifacts.mountPath | quote }}
{{- with (include "ftune.otlpEndpoint" .) }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: http/protobuf
{{- end }}
- name: OTEL_TRACES_SAMPLER
  value: {{ .Values.telemetry.sampler | quote }}
{{- end -}}
