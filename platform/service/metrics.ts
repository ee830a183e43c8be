import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus registry and the metrics every consumer loop shares. Labels are
 * service, topic, group and outcome: never a patient, organisation-level PHI or text.
 */
export interface Metrics {
  registry: Registry;
  recordsProcessed: Counter<'group' | 'topic' | 'outcome'>;
  recordDuration: Histogram<'group' | 'topic'>;
  recordsProduced: Counter<'topic'>;
  /** Background tasks (audit_anchor, analytics_retention): when each last succeeded, and its failures. */
  taskLastSuccess: Gauge<'task'>;
  taskFailures: Counter<'task'>;
  /** HTTP by route template (never the raw path: ids would become labels), method and status. */
  httpRequests: Counter<'server' | 'method' | 'route' | 'status'>;
  httpDuration: Histogram<'server' | 'method' | 'route' | 'status'>;
  /** Patient WebSockets open on this process, frames by direction and type, refused frames by code. */
  wsConnections: Gauge;
  wsFrames: Counter<'direction' | 'type'>;
  wsErrors: Counter<'code'>;
  /** Records behind the partition's end, per consumer group and partition, after each batch. */
  consumerLag: Gauge<'group' | 'topic' | 'partition'>;
}

export function createMetrics(defaults = true): Metrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'careloop_' });
  return {
    registry,
    recordsProcessed: new Counter({
      name: 'careloop_records_processed_total',
      help: 'Kafka records handled by consumer loops, by outcome (ok, retried, dead_lettered)',
      labelNames: ['group', 'topic', 'outcome'],
      registers: [registry],
    }),
    recordDuration: new Histogram({
      name: 'careloop_record_duration_seconds',
      help: 'Time to process one Kafka record',
      labelNames: ['group', 'topic'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    recordsProduced: new Counter({
      name: 'careloop_records_produced_total',
      help: 'Kafka records produced',
      labelNames: ['topic'],
      registers: [registry],
    }),
    taskLastSuccess: new Gauge({
      name: 'careloop_task_last_success_timestamp_seconds',
      help: 'When a background task (audit_anchor, analytics_retention) last succeeded; alert when it falls behind',
      labelNames: ['task'],
      registers: [registry],
    }),
    taskFailures: new Counter({
      name: 'careloop_task_failures_total',
      help: 'Failed runs of a background task (audit_anchor, analytics_retention)',
      labelNames: ['task'],
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'careloop_http_requests_total',
      help: 'HTTP requests answered, by listener (api, gateway), method, route template and status',
      labelNames: ['server', 'method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'careloop_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by listener, method, route template and status',
      labelNames: ['server', 'method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    wsConnections: new Gauge({ name: 'careloop_ws_connections', help: 'Patient WebSockets open on this process', registers: [registry] }),
    wsFrames: new Counter({
      name: 'careloop_ws_frames_total',
      help: 'WebSocket frames, by direction (in, out) and frame type',
      labelNames: ['direction', 'type'],
      registers: [registry],
    }),
    wsErrors: new Counter({
      name: 'careloop_ws_errors_total',
      help: 'Client frames refused, by error code (BAD_FRAME, RATE_LIMITED, …)',
      labelNames: ['code'],
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'careloop_kafka_consumer_lag',
      help: 'Records of the partition not yet processed by the group (high watermark minus the next offset), after each batch',
      labelNames: ['group', 'topic', 'partition'],
      registers: [registry],
    }),
  };
}
