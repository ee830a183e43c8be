import type { PatientSignal } from '../../schemas/generated/avro-types.js';
import type { SchemaCatalogue } from '../../platform/avro/catalogue.js';
import type { BrokerAccess } from '../../platform/kafka/admin.js';
import { readKeysSince } from '../../platform/kafka/partition-reader.js';
import type { ClaimedReminder } from '../../platform/stores/reminder-index.js';

/**
 * The reminder engine's check before re-publishing a redelivered claim: reads the patients'
 * partitions of patient.signals since `since` and returns the reminder ids found there as
 * scheduler signals. Only runs after a claim expired (a crash or a stall), never per batch.
 */
export function kafkaPublishedCheck(broker: BrokerAccess, physicalTopic: string, catalogue: Pick<SchemaCatalogue, 'decode'>, timeoutMs: number):
  (reminders: readonly ClaimedReminder[], since: number) => Promise<Set<string>> {
  return async (reminders, since) => {
    const ids = new Set(reminders.map((r) => r.id));
    const records = await readKeysSince(broker, physicalTopic, [...new Set(reminders.map((r) => r.patientId))], since, timeoutMs);
    const found = new Set<string>();
    for (const r of records) {
      const s = await catalogue.decode<PatientSignal>(r.value);
      if (s.source === 'scheduler' && ids.has(s.signalId)) found.add(s.signalId);
    }
    return found;
  };
}
