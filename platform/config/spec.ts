/**
 * Every configuration key the product knows, with its type, default and environment variable.
 * A key not listed here is an error, in the file and in the environment (CARELOOP_*).
 */
export type KeyType =
  | { kind: 'string'; nonEmpty?: boolean }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'port' }
  | { kind: 'bool' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'list' }
  | { kind: 'duration' }
  | { kind: 'url'; protocols: readonly string[] }
  | { kind: 'ratio' };

export interface KeySpec {
  type: KeyType;
  /** The default, in the same text form the environment uses; undefined means "derived" (see compile). */
  default?: string;
  doc: string;
}

const port = { kind: 'port' } as const;
const bool = { kind: 'bool' } as const;
const str = { kind: 'string', nonEmpty: true } as const;
const duration = { kind: 'duration' } as const;

export const CONFIG_SPEC = {
  'env': { type: { kind: 'enum', values: ['development', 'test', 'production'] }, default: 'development', doc: 'deployment kind; production refuses development secrets' },
  'log.level': { type: { kind: 'enum', values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] }, default: 'info', doc: 'pino log level' },
  'log.pretty': { type: bool, default: 'false', doc: 'human-readable, coloured log lines (pino-pretty, a development dependency) instead of JSON; development only' },
  'debug': { type: bool, default: 'false', doc: 'CARELOOP_DEBUG=1: the CLI prints the stack of unexpected errors, and services log at debug level' },

  'stack.dir': { type: str, default: '.stack', doc: 'where the local stack keeps data, logs and pid files (relative to the repository)' },
  'stack.host': { type: str, default: '127.0.0.1', doc: 'the address the local stack listens on' },
  'stack.kafkaPort': { type: port, default: '19092', doc: 'Kafka client listener' },
  'stack.kafkaControllerPort': { type: port, default: '19093', doc: 'Kafka KRaft controller listener' },
  'stack.registryPort': { type: port, default: '18081', doc: 'schema registry (Apicurio) HTTP port' },
  'stack.postgresPort': { type: port, default: '15432', doc: 'PostgreSQL port' },
  'stack.redisPort': { type: port, default: '16379', doc: 'Redis port' },
  'stack.clickhouseHttpPort': { type: port, default: '18123', doc: 'ClickHouse HTTP port' },
  'stack.clickhouseTcpPort': { type: port, default: '19000', doc: 'ClickHouse native port' },
  'stack.kafkaVersion': { type: str, default: '4.1.1', doc: 'org.apache.kafka:kafka_2.13 version resolved from Maven Central' },
  'stack.apicurioVersion': { type: str, default: '3.0.9', doc: 'io.apicurio:apicurio-registry-app version resolved from Maven Central' },
  'stack.javaHeap': { type: str, default: '512m', doc: 'maximum heap of each JVM in the stack (Kafka, registry)' },
  'stack.startTimeout': { type: duration, default: '180s', doc: 'how long one component may take to become healthy' },

  'kafka.driver': { type: { kind: 'enum', values: ['kafkajs', 'rdkafka'] }, default: 'kafkajs', doc: 'Kafka client: kafkajs (pure JS) or rdkafka (native librdkafka)' },
  'kafka.brokers': { type: { kind: 'list' }, doc: 'bootstrap brokers host:port,... (default: the local stack)' },
  'kafka.clientId': { type: str, default: 'careloop', doc: 'Kafka client id prefix' },
  'kafka.topicPrefix': { type: { kind: 'string' }, default: '', doc: 'prefix for every topic name (tests use it to isolate runs)' },
  'kafka.ssl': { type: bool, default: 'false', doc: 'TLS to the brokers' },
  'kafka.replicationFactor': { type: { kind: 'int', min: 1, max: 7 }, default: '1', doc: 'replication factor of created topics' },
  'kafka.partitionScale': { type: { kind: 'int', min: 1, max: 64 }, default: '1', doc: 'multiplies every declared partition count (production: more partitions)' },

  'registry.url': { type: { kind: 'url', protocols: ['http:', 'https:'] }, doc: 'Confluent-compatible schema registry base URL (default: the local Apicurio ccompat API)' },

  'postgres.url': { type: { kind: 'url', protocols: ['postgres:', 'postgresql:'] }, doc: 'system of record (default: the local stack)' },
  'postgres.ssl': { type: bool, default: 'false', doc: 'TLS to PostgreSQL' },
  'postgres.poolMax': { type: { kind: 'int', min: 1, max: 500 }, default: '10', doc: 'connections per process' },

  'redis.url': { type: { kind: 'url', protocols: ['redis:', 'rediss:'] }, doc: 'Redis URL; rediss:// turns TLS on (default: the local stack)' },
  'redis.keyPrefix': { type: { kind: 'string' }, default: '', doc: "prefix of every Redis key and pub/sub channel (e.g. 'staging:'), so deployments can share one Redis" },

  'clickhouse.url': { type: { kind: 'url', protocols: ['http:', 'https:'] }, doc: 'ClickHouse HTTP URL (default: the local stack)' },
  'clickhouse.database': { type: str, default: 'careloop', doc: 'ClickHouse database' },
  'clickhouse.user': { type: str, default: 'default', doc: 'ClickHouse user' },
  'clickhouse.password': { type: { kind: 'string' }, default: '', doc: 'ClickHouse password' },
  'clickhouse.retentionMonths': { type: { kind: 'int', min: 0, max: 1200 }, default: '25', doc: 'months of behavioural events kept (whole months, dropped by the analytics sink); 0 keeps everything' },

  'services.host': { type: str, default: '127.0.0.1', doc: 'address the product services listen on' },
  'services.opsPort': { type: port, default: '9464', doc: 'health and Prometheus metrics of this process' },
  'services.apiPort': { type: port, default: '3000', doc: 'admin and integration HTTP API' },
  'services.gatewayPort': { type: port, default: '3001', doc: 'patient WebSocket gateway and chat page' },
  'services.tlsCertFile': { type: { kind: 'string' }, default: '', doc: 'PEM certificate: when set with tlsKeyFile, the API and gateway listen with TLS (https, wss)' },
  'services.tlsKeyFile': { type: { kind: 'string' }, default: '', doc: 'PEM private key of services.tlsCertFile' },
  'postgres.caFile': { type: { kind: 'string' }, default: '', doc: 'PEM CA bundle to verify PostgreSQL with postgres.ssl (default: the system CAs)' },
  'kafka.caFile': { type: { kind: 'string' }, default: '', doc: 'PEM CA bundle to verify the brokers with kafka.ssl (default: the system CAs)' },
  'kafka.saslMechanism': { type: { kind: 'enum', values: ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] }, default: 'none', doc: 'SASL authentication to the brokers (with kafka.ssl for SASL_SSL)' },
  'kafka.saslUsername': { type: { kind: 'string' }, default: '', doc: 'SASL user name' },
  'kafka.saslPassword': { type: { kind: 'string' }, default: '', doc: 'SASL password (prefer kafka.saslPasswordFile, a mounted Secret)' },
  'kafka.saslPasswordFile': { type: { kind: 'string' }, default: '', doc: 'file holding the SASL password; wins over kafka.saslPassword' },
  'postgres.vaultUrl': { type: { kind: 'url', protocols: ['postgres:', 'postgresql:'] }, doc: 'the PHI vault database (vault schema and its audit chain); default: postgres.url, the same database' },

  'crypto.masterKey': { type: { kind: 'string' }, default: '', doc: 'base64 of the 32-byte master key that wraps data keys (prefer masterKeyFile or a KMS in production)' },
  'crypto.masterKeyFile': { type: { kind: 'string' }, default: '', doc: 'file holding the base64 master key; development and test create .stack/master.key when neither is set' },
  'crypto.previousMasterKeyFile': { type: { kind: 'string' }, default: '', doc: 'during a master key rotation: the old key, still trusted for unwrapping until every key is re-wrapped' },
  'crypto.keyCacheTtl': { type: duration, default: '5m', doc: 'how long unwrapped data keys stay in process memory' },

  'gateway.heartbeatInterval': { type: duration, default: '30s', doc: 'WebSocket ping interval; a socket that misses one ping is closed' },
  'gateway.rateLimitBurst': { type: { kind: 'int', min: 1, max: 100_000 }, default: '10', doc: 'messages a patient may send at once' },
  'gateway.rateLimitPerMinute': { type: { kind: 'int', min: 1, max: 6_000_000 }, default: '60', doc: 'sustained messages per patient per minute' },
  'gateway.resendWindow': { type: duration, default: '6h', doc: 'how long the gateway remembers a client message id, so a resend (a reconnect before the ack) is stored once; one Redis key per message for this long (at least 1m)' },
  'delivery.dedupeWindow': { type: duration, default: '6h', doc: 'how long delivery remembers a queued reply id, so a replayed outbound record is queued once; one Redis key per reply for this long (at least 1m)' },
  'gateway.allowedOrigins': { type: { kind: 'string' }, default: '', doc: 'comma-separated origins (https://clinic.example) that may embed the chat (frame-ancestors) and call the verify routes (CORS); empty: the gateway\'s own origin only' },
  'gateway.historyLines': { type: { kind: 'int', min: 0, max: 500 }, default: '50', doc: 'lines of recent conversation kept per patient (sealed) and shown when the chat reopens; 0 keeps none' },
  'gateway.maxFrameBytes': { type: { kind: 'int', min: 1024, max: 1_048_576 }, default: '65536', doc: 'largest WebSocket frame accepted; larger ones close the socket (1009)' },

  'auth.sessionSecret': { type: { kind: 'string' }, default: '', doc: 'base64 HMAC secret of patient session tokens (at least 32 bytes)' },
  'auth.sessionSecretFile': { type: { kind: 'string' }, default: '', doc: 'file holding the session secret; development and test create .stack/session.key' },
  'auth.sessionTtl': { type: duration, default: '12h', doc: 'lifetime of a patient session token' },

  'auth.staffIssuer': { type: { kind: 'string' }, default: '', doc: 'issuer of staff OIDC tokens; empty: staff JWTs are not accepted (API keys only)' },
  'auth.staffAudience': { type: str, default: 'careloop-admin', doc: 'audience staff OIDC tokens must name' },
  'auth.staffJwksUrl': { type: { kind: 'string' }, default: '', doc: 'JWKS URL of the identity provider that signs staff tokens' },
  'auth.staffJwksFile': { type: { kind: 'string' }, default: '', doc: 'a local JWKS JSON file instead of auth.staffJwksUrl' },
  'auth.organizationClaim': { type: str, default: 'org_id', doc: 'staff token claim naming the organisation' },
  'auth.roleClaim': { type: str, default: 'role', doc: 'staff token claim naming the role (org_admin, care_team, analyst, partner)' },
  'idp.enabled': { type: bool, default: 'false', doc: 'run the built-in OpenID Connect issuer for staff (the portal\'s sign-in) in the API process; `careloop up` turns it on' },
  'idp.port': { type: port, default: '3005', doc: 'port of the built-in OpenID Connect issuer (its issuer URL is http://services.host:idp.port)' },

  'api.rateLimitBurst': { type: { kind: 'int', min: 1, max: 1_000_000 }, default: '60', doc: 'API requests a credential or an IP may make at once' },
  'api.rateLimitPerMinute': { type: { kind: 'int', min: 1, max: 60_000_000 }, default: '600', doc: 'sustained API requests per credential and per IP per minute' },
  'api.maxBodyBytes': { type: { kind: 'int', min: 1024, max: 10_485_760 }, default: '262144', doc: 'largest request body accepted' },

  'verification.maxFailures': { type: { kind: 'int', min: 1, max: 100 }, default: '5', doc: 'failed identity checks before a lockout' },
  'verification.lockout': { type: duration, default: '15m', doc: 'how long a lockout lasts' },
  'verification.codeTtl': { type: duration, default: '10m', doc: 'lifetime of a one-time code sent by SMS' },

  'audit.anchorInterval': { type: duration, default: '1m', doc: 'how often the scheduler copies audit chain heads to the audit.anchors topic (0s turns anchoring off)' },

  'reminders.enabled': { type: bool, default: 'true', doc: 'the scheduler plans medication and refill reminders from the care plan and dispatches them as dose_due/refill_due signals; the reminder-planner re-plans a patient on care-plan changes from patient.signals' },
  'reminders.shards': { type: { kind: 'int', min: 1, max: 1024 }, default: '12', doc: 'shards of the reminder due index (a patient\'s shard is a hash of its id); every scheduler claims from all, atomically per shard' },
  'reminders.planHorizon': { type: duration, default: '2d', doc: 'how far ahead occurrences are computed and stored in PostgreSQL' },
  'reminders.indexHorizon': { type: duration, default: '10m', doc: 'how far ahead stored occurrences are copied into the Redis due index' },
  'reminders.pollInterval': { type: duration, default: '500ms', doc: 'how often the scheduler claims due reminders' },
  'reminders.indexInterval': { type: duration, default: '5s', doc: 'how often pending occurrences are moved into the due index' },
  'reminders.planInterval': { type: duration, default: '1m', doc: 'how often patients whose plan falls behind the horizon are planned again' },
  'reminders.visibilityTimeout': { type: duration, default: '30s', doc: 'a claimed reminder not acknowledged within this long (its scheduler died) is claimed and sent again, with the same signal id' },
  'reminders.batchSize': { type: { kind: 'int', min: 1, max: 100_000 }, default: '1000', doc: 'reminders claimed per shard and round' },
  'reminders.refillLeadDays': { type: { kind: 'int', min: 0, max: 60 }, default: '3', doc: 'days before a dispense runs out that the refill reminder comes' },
  'reminders.organizations': { type: { kind: 'string' }, default: '', doc: 'comma-separated organisation ids whose patients get reminders (a staged roll-out); empty: every organisation' },
  'reminders.refillTime': { type: str, default: '10:00', doc: 'local time (HH:MM) of refill reminders' },
  'reminders.rules': { type: bool, default: 'true', doc: 'apply the delivery rules when planning: the patient\'s quiet hours over the organisation\'s, doses of one time in one message, the daily cap, STOP, burst spreading' },
  'reminders.doseWindow': { type: duration, default: '4h', doc: 'a dose that quiet hours would push later than this after its time keeps its time instead (the dose window would be missed)' },
  'reminders.spreadWindow': { type: duration, default: '0s', doc: 'reminders due in the same minute are spread over this window after it (e.g. 2m), stably per patient, so a top-of-the-hour burst is smoothed; 0s: sent on the minute' },
  'reminders.retention': { type: duration, default: '90d', doc: 'dispatched and cancelled occurrences (and their answers) due longer ago than this are deleted by the scheduler, in batches, every 10 min; at least 31d (the chat\'s adherence looks 30 days back); 0s keeps everything' },
  'reminders.caregiverSweepInterval': { type: duration, default: '5m', doc: 'how often the scheduler looks for doses that just closed as unknown (no answer 24 h after their time) and tells caregivers of a run of misses; 0s: never' },
  'reminders.dispatchConcurrency': { type: { kind: 'int', min: 1, max: 64 }, default: '4', doc: 'shards one scheduler drains at the same time in a dispatch round (each shard still one batch at a time), so a burst overlaps PostgreSQL, Redis and Kafka round trips' },

  'inbox.slaUrgent': { type: duration, default: '15m', doc: 'care-team inbox: an urgent task (an emergency) is due this long after it is raised, unless the organisation sets its own' },
  'inbox.slaHigh': { type: duration, default: '1h', doc: 'care-team inbox: due time of a high-priority task (a patient asking for a person)' },
  'inbox.slaNormal': { type: duration, default: '4h', doc: 'care-team inbox: due time of a normal task (side effects, dosing questions, failed bookings)' },
  'inbox.slaLow': { type: duration, default: '1d', doc: 'care-team inbox: due time of a low-priority task' },
  'inbox.ackTimeout': { type: duration, default: '2m', doc: 'an on-call page not acknowledged within this long goes to the next contact (organisations may set their own)' },
  'inbox.pollInterval': { type: duration, default: '500ms', doc: 'how often the scheduler sends due on-call pages' },
  'inbox.webhookTimeout': { type: duration, default: '5s', doc: 'how long an on-call webhook may take to answer before it counts as failed' },
  'inbox.overdueInterval': { type: duration, default: '15s', doc: 'how often the scheduler recounts overdue care-team tasks (careloop_inbox_tasks_overdue)' },

  'telemetry.otlpEndpoint': { type: { kind: 'string' }, default: '', doc: 'OTLP/HTTP collector base URL (http://collector:4318): traces are exported to <url>/v1/traces; empty exports nothing (traceparent still travels on every Kafka record)' },
  'telemetry.sampleRatio': { type: { kind: 'ratio' }, default: '1', doc: 'share of new traces recorded when exporting (0 to 1); a record follows its parent\'s decision' },
  'telemetry.serviceName': { type: str, default: 'careloop', doc: 'service.name of the exported spans' },
  'consumer.maxRetries': { type: { kind: 'int', min: 0, max: 100 }, default: '5', doc: 'attempts of a retryable failure before the record is dead-lettered' },
  'consumer.retryBackoff': { type: duration, default: '200ms', doc: 'first retry delay; doubles on each attempt' },
  'consumer.partitionConcurrency': { type: { kind: 'int', min: 1, max: 256 }, default: '12', doc: 'partitions one consumer works on at the same time' },
  'consumer.keyConcurrency': { type: { kind: 'int', min: 1, max: 1024 }, default: '64', doc: 'patients of one batch handled at the same time (each patient still in order)' },
  'consumer.sessionTimeout': { type: duration, default: '30s', doc: 'consumer group session timeout: without static membership (consumer.instanceId) a killed process keeps its partitions this long before they move (the stall after a crash); kafkajs heartbeats only between batches, so a short one on a starved CPU evicts live members' },
  'consumer.instanceId': { type: { kind: 'string' }, default: '', doc: 'static group membership (rdkafka: group.instance.id): a stable id unique per process, e.g. the pod name of a StatefulSet; a process restarted under the same id takes its partitions back at once instead of waiting for the session timeout; empty: dynamic membership (kafkajs has no static membership)' },
  'delivery.fallbackAfter': { type: duration, default: '15m', doc: 'a proactive message (a reminder) not seen on the web within this long goes out again on the next channel (push, then SMS), once per channel' },
  'delivery.fallbackPollInterval': { type: duration, default: '1s', doc: 'how often delivery-push claims due fallbacks' },
  'push.vapidKeyFile': { type: { kind: 'string' }, default: '', doc: 'JSON file {"publicKey","privateKey"} of the Web Push VAPID key pair (web-push generate-vapid-keys --json); development and test create .stack/vapid.json; empty in production: Web Push is off' },
  'push.vapidSubject': { type: str, default: 'mailto:push@careloop.invalid', doc: 'VAPID subject (mailto: or https: contact) push services may use to reach the operator' },
  'push.fcmServiceAccountFile': { type: { kind: 'string' }, default: '', doc: 'Google service-account JSON (project_id, client_email, private_key) for FCM HTTP v1; empty: mobile push is off' },
  'push.fcmTokenUrl': { type: { kind: 'string' }, default: '', doc: 'OAuth 2.0 token endpoint for the service-account JWT bearer grant (default: the file\'s token_uri, else https://oauth2.googleapis.com/token)' },
  'push.fcmApiUrl': { type: { kind: 'url', protocols: ['http:', 'https:'] }, default: 'https://fcm.googleapis.com', doc: 'FCM HTTP v1 base URL (tests point it at a local server)' },
  'push.caFile': { type: { kind: 'string' }, default: '', doc: 'extra PEM CA bundle trusted for Web Push endpoints (a private push service, tests)' },
  'push.chatUrl': { type: { kind: 'string' }, default: '', doc: 'public URL of the chat page, the deep link of every notification (default: the gateway on services.host)' },
  'services.twilioPort': { type: port, default: '3002', doc: 'Twilio webhooks (inbound SMS and status callbacks) of the twilio ingest service' },
  'sms.webhookBaseUrl': { type: { kind: 'string' }, default: '', doc: 'the public base URL Twilio calls (https://sms.clinic.example), as signed by Twilio; a load balancer rewrites the local one; empty: the listener\'s own URL' },
  'sms.apiBaseUrl': { type: { kind: 'string' }, default: '', doc: 'base URL of the Twilio REST API; empty: https://api.twilio.com (tests and benchmarks point it at a local server)' },
  'sms.longCodeRate': { type: { kind: 'int', min: 1, max: 1000 }, default: '1', doc: 'messages per second one long code may send' },
  'sms.tollFreeRate': { type: { kind: 'int', min: 1, max: 1000 }, default: '3', doc: 'messages per second one toll-free number may send' },
  'sms.shortCodeRate': { type: { kind: 'int', min: 1, max: 10_000 }, default: '100', doc: 'messages per second one short code may send' },
  'sms.validityPeriod': { type: duration, default: '4h', doc: 'a text not sent within this long of its creation (queued behind rate limits, quiet hours or retries) is dropped as stale; at most 10h (Twilio\'s ValidityPeriod)' },
  'sms.maxAttempts': { type: { kind: 'int', min: 1, max: 50 }, default: '8', doc: 'sends of one text on 429 and 5xx answers before it is dead-lettered' },
  'sms.retryBackoff': { type: duration, default: '1s', doc: 'first retry delay after a 429 or 5xx; doubles each attempt (capped at 1m), with full jitter' },
  'sms.pollInterval': { type: duration, default: '100ms', doc: 'how often delivery-sms claims due texts from its queue' },
  'sms.claimBatch': { type: { kind: 'int', min: 1, max: 10_000 }, default: '500', doc: 'texts one delivery-sms instance claims per poll' },
  'profiling.scoreCheckInterval': { type: duration, default: '10m', doc: 'how often profiling checks whether today\'s segment and risk run is done; one instance claims each day\'s run' },

  'booking.hospitalTimeout': { type: duration, default: '10s', doc: 'how long one call to an organisation\'s FHIR server may take before it counts as a time-out (retried with backoff, then the booking is released)' },
  'booking.offerHorizon': { type: duration, default: '14d', doc: 'how far ahead free slots are offered when the patient names no date' },
  'booking.reconcileInterval': { type: duration, default: '15m', doc: 'how often hospital-outbound compares recent bookings with the hospital\'s Appointments and Slots (0s turns it off)' },
  'clock.offset': { type: { kind: 'int', min: -315_360_000_000, max: 315_360_000_000 }, default: '0', doc: 'milliseconds added to the wall clock every service of the process reads (rehearse a date in staging, e.g. a daylight-saving night; end-to-end tests); 0: the wall clock; refused in production' },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_SPEC;

/** CARELOOP_ + the key in upper snake case: stack.kafkaPort -> CARELOOP_STACK_KAFKA_PORT. */
export function envName(key: string): string {
  return 'CARELOOP_' + key.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}
