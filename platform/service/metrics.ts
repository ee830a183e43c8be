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
  };
}
