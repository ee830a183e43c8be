{{/* Names and labels shared by every manifest. */}}
{{- define "careloop.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "careloop.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one service: call with (dict "root" $ "name" "gateway"). */}}
{{- define "careloop.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "careloop.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "careloop.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ default (include "careloop.fullname" .) .Values.serviceAccount.name }}{{- else -}}{{ default "default" .Values.serviceAccount.name }}{{- end -}}
{{- end -}}

{{/* The physical Kafka topic names of a list of logical ones. */}}
{{- define "careloop.topic" -}}
{{ .root.Values.kafka.topicPrefix }}{{ .topic }}
{{- end -}}

{{/* Environment and mounts every careloop container shares: config by ConfigMap, secrets by reference. */}}
{{- define "careloop.env" -}}
- name: CARELOOP_POSTGRES_URL
  valueFrom: {secretKeyRef: {name: {{ required "postgres.urlSecret.name" .Values.postgres.urlSecret.name | quote }}, key: {{ .Values.postgres.urlSecret.key | quote }}}}
- name: CARELOOP_REDIS_URL
  valueFrom: {secretKeyRef: {name: {{ required "redis.urlSecret.name" .Values.redis.urlSecret.name | quote }}, key: {{ .Values.redis.urlSecret.key | quote }}}}
- name: CARELOOP_CLICKHOUSE_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ required "clickhouse.passwordSecret.name" .Values.clickhouse.passwordSecret.name | quote }}, key: {{ .Values.clickhouse.passwordSecret.key | quote }}}}
- name: CARELOOP_CRYPTO_MASTER_KEY_FILE
  value: /etc/careloop/master-key/{{ .Values.crypto.masterKeySecret.key }}
{{- if .Values.crypto.previousMasterKeySecret.name }}
- name: CARELOOP_CRYPTO_PREVIOUS_MASTER_KEY_FILE
  value: /etc/careloop/previous-master-key/{{ .Values.crypto.previousMasterKeySecret.key }}
{{- end }}
- name: CARELOOP_AUTH_SESSION_SECRET_FILE
  value: /etc/careloop/session/{{ .Values.auth.sessionSecret.key }}
{{- if and (eq .Values.kafka.driver "rdkafka") .Values.kafka.staticMembership }}
# Static group membership: the pod's name, unique per pod and kept across container restarts.
- name: CARELOOP_CONSUMER_INSTANCE_ID
  valueFrom: {fieldRef: {fieldPath: metadata.name}}
{{- end }}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.caSecret.name }}
- name: CARELOOP_KAFKA_CA_FILE
  value: /etc/careloop/kafka-ca/{{ .Values.kafka.tls.caSecret.key }}
{{- end }}
{{- if .Values.kafka.sasl.enabled }}
- name: CARELOOP_KAFKA_SASL_USERNAME
  valueFrom: {secretKeyRef: {name: {{ required "kafka.sasl.credentialsSecret.name" .Values.kafka.sasl.credentialsSecret.name | quote }}, key: {{ .Values.kafka.sasl.credentialsSecret.usernameKey | quote }}}}
- name: CARELOOP_KAFKA_SASL_PASSWORD_FILE
  value: /etc/careloop/kafka-sasl/{{ .Values.kafka.sasl.credentialsSecret.passwordKey }}
{{- end }}
{{- if .Values.postgres.vaultUrlSecret.name }}
- name: CARELOOP_POSTGRES_VAULT_URL
  valueFrom: {secretKeyRef: {name: {{ .Values.postgres.vaultUrlSecret.name | quote }}, key: {{ .Values.postgres.vaultUrlSecret.key | quote }}}}
{{- end }}
{{- if and .Values.postgres.ssl .Values.postgres.caSecret.name }}
- name: CARELOOP_POSTGRES_CA_FILE
  value: /etc/careloop/postgres-ca/{{ .Values.postgres.caSecret.key }}
{{- end }}
{{- if .Values.listenerTls.secretName }}
- name: CARELOOP_SERVICES_TLS_CERT_FILE
  value: /etc/careloop/listener-tls/tls.crt
- name: CARELOOP_SERVICES_TLS_KEY_FILE
  value: /etc/careloop/listener-tls/tls.key
{{- end }}
{{- end -}}

{{- define "careloop.volumeMounts" -}}
- {name: tmp, mountPath: /tmp}
- {name: master-key, mountPath: /etc/careloop/master-key, readOnly: true}
{{- if .Values.crypto.previousMasterKeySecret.name }}
- {name: previous-master-key, mountPath: /etc/careloop/previous-master-key, readOnly: true}
{{- end }}
- {name: session, mountPath: /etc/careloop/session, readOnly: true}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.caSecret.name }}
- {name: kafka-ca, mountPath: /etc/careloop/kafka-ca, readOnly: true}
{{- end }}
{{- if .Values.kafka.sasl.enabled }}
- {name: kafka-sasl, mountPath: /etc/careloop/kafka-sasl, readOnly: true}
{{- end }}
{{- if and .Values.postgres.ssl .Values.postgres.caSecret.name }}
- {name: postgres-ca, mountPath: /etc/careloop/postgres-ca, readOnly: true}
{{- end }}
{{- if .Values.listenerTls.secretName }}
- {name: listener-tls, mountPath: /etc/careloop/listener-tls, readOnly: true}
{{- end }}
{{- end -}}

{{- define "careloop.volumes" -}}
- name: tmp
  emptyDir: {sizeLimit: 64Mi}
- name: master-key
  secret: {secretName: {{ required "crypto.masterKeySecret.name" .Values.crypto.masterKeySecret.name | quote }}, defaultMode: 0400}
{{- if .Values.crypto.previousMasterKeySecret.name }}
- name: previous-master-key
  secret: {secretName: {{ .Values.crypto.previousMasterKeySecret.name | quote }}, defaultMode: 0400}
{{- end }}
- name: session
  secret: {secretName: {{ required "auth.sessionSecret.name" .Values.auth.sessionSecret.name | quote }}, defaultMode: 0400}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.caSecret.name }}
- name: kafka-ca
  secret: {secretName: {{ .Values.kafka.tls.caSecret.name | quote }}}
{{- end }}
{{- if .Values.kafka.sasl.enabled }}
- name: kafka-sasl
  secret: {secretName: {{ .Values.kafka.sasl.credentialsSecret.name | quote }}, items: [{key: {{ .Values.kafka.sasl.credentialsSecret.passwordKey | quote }}, path: {{ .Values.kafka.sasl.credentialsSecret.passwordKey | quote }}}]}
{{- end }}
{{- if and .Values.postgres.ssl .Values.postgres.caSecret.name }}
- name: postgres-ca
  secret: {secretName: {{ .Values.postgres.caSecret.name | quote }}}
{{- end }}
{{- if .Values.listenerTls.secretName }}
- name: listener-tls
  secret: {secretName: {{ .Values.listenerTls.secretName | quote }}}
{{- end }}
{{- end -}}
