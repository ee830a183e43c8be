import type { PatientAction } from '../../schemas/generated/avro-types.js';
import { AuditLog } from '../../platform/audit/audit-log.js';
import { startGroupConsumer } from '../../platform/service/group-consumer.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { SmsAccounts } from '../../platform/sms/accounts.js';
import { CaregiverStore } from '../../platform/stores/caregivers.js';
import { CaregiverNotifier } from './caregiver-notifier.js';

/**
 * Caregiver texts: each notify_caregiver action on patient.actions becomes a proactive SMS record on
 * chat.outbound for the caregiver, which delivery-sms sends like any other. A service of its own so
 * it scales on the lag of its own group.
 */
export const caregiverNotifier: ServiceDefinition = {
  name: 'caregiver-notifier',
  description: 'notify_caregiver actions → texts to the patient\'s caregivers (sent by delivery-sms)',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const { cfg, deps } = ctx;
    const [publisher, pool, keyring, security] = await Promise.all([deps.publisher(), deps.postgres(), deps.keyring(), deps.security()]);
    const notifier = new CaregiverNotifier({ caregivers: new CaregiverStore(pool, cfg.kafka.topicPrefix, new AuditLog(pool)), accounts: new SmsAccounts(pool), keyring, vault: security.vault, pool, publisher, now: ctx.now });
    const consumer = await startGroupConsumer(ctx, 'delivery-sms-caregiver', { process: async (value) => { await notifier.handle(value as PatientAction); } });
    return { name: 'caregiver-notifier', endpoints: [], checks: deps.checks(['kafka', 'registry', 'postgres']), stop: () => consumer.stop() };
  },
};
