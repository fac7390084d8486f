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

{{/* Environment shared by the services and the training Jobs. */}}
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
- name: FTUNE_KAFKA_SASL_USERNAME
  valueFrom: { secretKeyRef: { name: {{ .Values.kafka.sasl.existingSecret | quote }}, key: username } }
- name: FTUNE_KAFKA_SASL_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ .Values.kafka.sasl.existingSecret | quote }}, key: password } }
{{- end }}
- name: FTUNE_ARTIFACTS_DIR
  value: {{ .Values.artifacts.mountPath | quote }}
- name: FTUNE_AUTH_TOKEN
  valueFrom: { secretKeyRef: { name: {{ include "ftune.authSecret" . | quote }}, key: token } }
{{- with (include "ftune.otlpEndpoint" .) }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: http/protobuf
{{- end }}
- name: OTEL_TRACES_SAMPLER
  value: {{ .Values.telemetry.sampler | quote }}
{{- end -}}
