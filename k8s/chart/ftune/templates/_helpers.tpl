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

{{/* Components that get the MLflow variables: the pipeline service owns the MLflow run, the training
Job (or the train service's local training process) logs its steps into it (docs/observability.md). */}}
{{- define "ftune.mlflowComponents" -}}pipeline train evaluate audit train-job{{- end -}}

{{/* MLflow's own variables, as its client reads them, when a tracking server is named. */}}
{{- define "ftune.mlflowEnv" -}}
{{- with .Values.tracking.mlflow }}
{{- if .uri }}
- name: MLFLOW_TRACKING_URI
  value: {{ .uri | quote }}
{{- if .experimentName }}
- name: MLFLOW_EXPERIMENT_NAME
  value: {{ .experimentName | quote }}
{{- end }}
{{- if .existingSecret }}
{{- $secret := .existingSecret }}
{{- range $var, $key := dict "MLFLOW_TRACKING_TOKEN" "token" "MLFLOW_TRACKING_USERNAME" "username" "MLFLOW_TRACKING_PASSWORD" "password" }}
- name: {{ $var }}
  valueFrom: { secretKeyRef: { name: {{ $secret | quote }}, key: {{ $key }}, optional: true } }
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* TCP port of the MLflow tracking server: networkPolicy.mlflow.ports, else the URI's, else the scheme's. */}}
{{- define "ftune.mlflowPorts" -}}
{{- $u := urlParse .Values.tracking.mlflow.uri -}}
{{- $port := regexFind ":[0-9]+$" $u.host | trimPrefix ":" -}}
{{- if .Values.networkPolicy.mlflow.ports }}{{ join " " .Values.networkPolicy.mlflow.ports }}
{{- else if $port }}{{ $port }}
{{- else }}{{ ternary "443" "80" (eq $u.scheme "https") }}{{ end }}
{{- end -}}
