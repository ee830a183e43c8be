{{/* The ConfigMap data: non-secret configuration as CARELOOP_* variables (key log.level: CARELOOP_LOG_LEVEL). */}}
{{- define "careloop.configData" -}}
{{- range $key, $value := .Values.config }}
CARELOOP_{{ $key | replace "." "_" | snakecase | upper | replace "__" "_" }}: {{ $value | toString | quote }}
{{- end }}
CARELOOP_SERVICES_HOST: "0.0.0.0"
CARELOOP_SERVICES_OPS_PORT: {{ .Values.opsPort | quote }}
CARELOOP_SERVICES_API_PORT: {{ .Values.services.api.port | quote }}
CARELOOP_SERVICES_GATEWAY_PORT: {{ .Values.services.gateway.port | quote }}
CARELOOP_STACK_DIR: /tmp/careloop
CARELOOP_KAFKA_BROKERS: {{ .Values.kafka.brokers | quote }}
CARELOOP_KAFKA_DRIVER: {{ .Values.kafka.driver | quote }}
CARELOOP_KAFKA_TOPIC_PREFIX: {{ .Values.kafka.topicPrefix | quote }}
CARELOOP_KAFKA_SSL: {{ .Values.kafka.tls.enabled | quote }}
CARELOOP_KAFKA_SASL_MECHANISM: {{ ternary .Values.kafka.sasl.mechanism "none" .Values.kafka.sasl.enabled | quote }}
CARELOOP_KAFKA_REPLICATION_FACTOR: {{ .Values.kafka.replicationFactor | quote }}
CARELOOP_KAFKA_PARTITION_SCALE: {{ .Values.kafka.partitionScale | quote }}
CARELOOP_REGISTRY_URL: {{ .Values.schemaRegistry.url | quote }}
CARELOOP_POSTGRES_SSL: {{ .Values.postgres.ssl | quote }}
CARELOOP_POSTGRES_POOL_MAX: {{ .Values.postgres.poolMax | quote }}
CARELOOP_REDIS_KEY_PREFIX: {{ .Values.redis.keyPrefix | quote }}
CARELOOP_CLICKHOUSE_URL: {{ .Values.clickhouse.url | quote }}
CARELOOP_CLICKHOUSE_DATABASE: {{ .Values.clickhouse.database | quote }}
CARELOOP_CLICKHOUSE_USER: {{ .Values.clickhouse.user | quote }}
{{- end -}}
