import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import type { Config } from '../platform/config/config.js';
import { repoRoot } from '../platform/paths.js';
import type { Dependencies } from '../platform/service/dependencies.js';
import { publishWorkflow, saveWorkflow } from '../platform/workflow/admin.js';
import { defaultCatalog } from '../platform/workflow/catalog.js';
import { WorkflowRepository } from '../platform/workflow/repository.js';
import { fakeSid } from './twilio-standin.js';
import { uniqueId } from './helpers.js';

/** An organisation with a Twilio account (token by env reference), sender numbers and vault patients with phones. */
export interface SmsTenant {
  organizationId: string;
  accountSid: string;
  senders: string[];
  patients: Array<{ id: string; phone: string; birthDate: string; medicationId: string }>;
}

export const TOKEN_ENV = 'TWILIO_AUTH_TOKEN_SMS_TEST';

function randomPhone(): string {
  return `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
}

export async function seedSmsTenant(deps: Dependencies, opts: { patients: number; senders: number; quietHours?: { start: string; end: string } }): Promise<SmsTenant> {
  const pool = await deps.postgres();
  const security = await deps.security();
  const organizationId = uniqueId('org_');
  const accountSid = fakeSid('AC');
  await pool.query(`INSERT INTO organizations (id, slug, display_name, languages, care_team_contact, reminder_routine) VALUES ($1, $1, 'Sunrise Clinic', ARRAY['en','es'], '+1 555 010 9999', $2)`,
    [organizationId, JSON.stringify(opts.quietHours === undefined ? {} : { quietHours: opts.quietHours })]);
  const senders = Array.from({ length: opts.senders }, (_, i) => `+1800555${String(1000 + i).padStart(4, '0')}`);
  await pool.query(`INSERT INTO sms_accounts (organization_id, account_sid, auth_token_ref, senders) VALUES ($1, $2, $3, $4)`,
    [organizationId, accountSid, `env:${TOKEN_ENV}`, JSON.stringify(senders.map((number) => ({ number, kind: 'long_code' })))]);
  const patients: SmsTenant['patients'] = [];
  for (let i = 0; i < opts.patients; i++) {
    const phone = randomPhone();
    const birthDate = `19${50 + (i % 40)}-0${1 + (i % 9)}-1${i % 10}`;
    const { patientId } = await security.vault.createPatient({ kind: 'system', id: 'sms-test' }, organizationId, { givenName: `Pat${i}`, phone, birthDate }, 'operations');
    await pool.query('INSERT INTO patients (id, organization_id) VALUES ($1, $2)', [patientId, organizationId]);
    const medicationId = `${patientId}_m`;
    await pool.query(`INSERT INTO patient_medications (id, patient_id, organization_id, name, dose, schedule_times) VALUES ($1, $2, $3, 'Metformin', '500 mg', ARRAY['08:00'])`, [medicationId, patientId, organizationId]);
    patients.push({ id: patientId, phone, birthDate, medicationId });
  }
  return { organizationId, accountSid, senders, patients };
}

/** Publishes the library's medication adherence programme for the organisation (reminders with yes/no). */
export async function publishAdherence(deps: Dependencies, organizationId: string): Promise<void> {
  const admin = { repo: new WorkflowRepository(await deps.postgres()), publisher: await deps.publisher(), catalogFor: async () => defaultCatalog(['en', 'es']), now: () => new Date() };
  const source = readFileSync(join(repoRoot(), 'workflows/library/medication-adherence.flow'), 'utf8');
  const saved = await saveWorkflow(admin, organizationId, source, 'sms e2e');
  if (!saved.ok) throw new Error(saved.problems.map((p) => p.message).join('; '));
  await publishWorkflow(admin, organizationId, saved.workflowId, saved.version, 'sms e2e', 'publish');
}

/** Every record of some topics from the beginning, decoded, while the test runs. */
export class TopicWatch<T = Record<string, unknown>> {
  readonly values: Array<{ topic: string; value: T }> = [];
  private constructor(private readonly consumer: kafkajs.Consumer) {}

  static async start<T>(cfg: Config, deps: Dependencies, topics: readonly string[]): Promise<TopicWatch<T>> {
    const catalogue = await deps.catalogue();
    const consumer = new kafkajs.Kafka({ clientId: 'sms-test-watch', brokers: [...cfg.kafka.brokers], logLevel: kafkajs.logLevel.NOTHING }).consumer({ groupId: `${cfg.kafka.topicPrefix}watch-${randomUUID()}` });
    const w = new TopicWatch<T>(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: topics.map((t) => cfg.kafka.topicPrefix + t), fromBeginning: true });
    await consumer.run({ eachMessage: async ({ topic, message }) => { w.values.push({ topic: topic.slice(cfg.kafka.topicPrefix.length), value: await catalogue.decode<T>(message.value) }); } });
    return w;
  }

  of(topic: string): T[] {
    return this.values.filter((v) => v.topic === topic).map((v) => v.value);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
