import { Counter, Histogram, type Registry } from 'prom-client';

/** Reminder engine metrics, by kind (dose_due, refill_due), stage, reason or signal type only: never a patient or medication. */
export interface ReminderMetrics {
  /** Reminders that fell due and were claimed for the first time. */
  due: Counter<'kind'>;
  dispatched: Counter<'kind'>;
  /** Claims left unacknowledged past the visibility timeout and claimed again. */
  redelivered: Counter<'kind'>;
  /** Dispatch time minus due time, first deliveries. */
  lateness: Histogram<'kind'>;
  /** Failed rounds, by stage (plan, index, claim, publish, ack, replan; profiles: the profile read, which costs attributes only). */
  failed: Counter<'stage'>;
  /** Claimed but already dispatched or cancelled (re-planned away): dropped without a signal. */
  stale: Counter<'kind'>;
  /** Occurrences newly stored (or revived) by planning. */
  planned: Counter;
  /** Send-time optimisation, by outcome: moved (a movable reminder got another hour), kept (its own hour won or none was allowed), failed (profile read failed; times kept). */
  sendTime: Counter<'outcome'>;
  /** Patients re-planned at once on a care-plan change, by the signal type that caused it. */
  replanned: Counter<'signal'>;
  /** Reminders held back, by reason: quiet_hours (deferred to the window's end), cancelled (re-planned away after indexing), not_active (STOP or erasure). */
  suppressed: Counter<'reason'>;
  /** Redelivered reminders whose signal was already on Kafka (their scheduler died before marking them): marked, not sent again. */
  foundOnKafka: Counter<'kind'>;
  /** Occurrences deleted by the retention (over, and due longer ago than reminders.retention). */
  pruned: Counter;
}

// `careloop run all` starts the scheduler and the planner in one process, on one registry.
const byRegistry = new WeakMap<Registry, ReminderMetrics>();

export function createReminderMetrics(registry: Registry): ReminderMetrics {
  const known = byRegistry.get(registry);
  if (known !== undefined) return known;
  const counter = <L extends string>(name: string, help: string, label: L): Counter<L> => new Counter({ name, help, labelNames: [label], registers: [registry] });
  const metrics: ReminderMetrics = {
    due: counter('careloop_reminders_due_total', 'Reminders that fell due (claimed for the first time), by kind', 'kind'),
    dispatched: counter('careloop_reminders_dispatched_total', 'Reminder signals published on patient.signals, by kind (redeliveries included)', 'kind'),
    redelivered: counter('careloop_reminders_redelivered_total', 'Reminders claimed again after their claim was not acknowledged in time, by kind', 'kind'),
    lateness: new Histogram({
      name: 'careloop_reminders_lateness_seconds', help: 'Time from a reminder\'s due time to its signal being published, first deliveries', labelNames: ['kind'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600], registers: [registry],
    }),
    failed: counter('careloop_reminders_failed_total', 'Failed reminder engine rounds, by stage (plan, index, claim, publish, ack, replan)', 'stage'),
    stale: counter('careloop_reminders_stale_total', 'Claimed reminders dropped because they were already dispatched or cancelled, by kind', 'kind'),
    planned: new Counter({ name: 'careloop_reminders_planned_total', help: 'Occurrences newly stored (or revived) by planning', registers: [registry] }),
    sendTime: counter('careloop_reminders_send_time_total', 'Movable reminders by send-time optimisation outcome (moved, kept; failed: profile read failed, planned times kept)', 'outcome'),
    replanned: counter('careloop_reminders_replanned_total', 'Patients re-planned at once on a care-plan change from patient.signals, by signal type', 'signal'),
    suppressed: counter('careloop_reminders_suppressed_total', 'Reminders held back, by reason (quiet_hours: deferred; cancelled: re-planned away; not_active: STOP or erasure)', 'reason'),
    foundOnKafka: counter('careloop_reminders_found_on_kafka_total', 'Redelivered reminders already on patient.signals (published before a crash), marked without a second signal, by kind', 'kind'),
    pruned: new Counter({ name: 'careloop_reminders_pruned_total', help: 'Dispatched or cancelled occurrences deleted by reminders.retention', registers: [registry] }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
