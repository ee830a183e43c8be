import { randomUUID } from 'node:crypto';
import type { OutboundMessage, PatientAction, PatientSignal, UnderstoodMessage, WorkflowPublished } from '../../schemas/generated/avro-types.js';
import { normalizeError } from '../../platform/errors.js';
import type { Consumer } from '../../platform/kafka/types.js';
import type { CompiledWorkflow } from '../../platform/workflow/compiled.js';
import { WorkflowRepository } from '../../platform/workflow/repository.js';
import { parseSlots, pinnedVersions, programRuntime, runSignal, type ActiveWorkflow } from './programs.js';
import { WorkflowRegistry } from './workflow-registry.js';
import { TimerStore, timerKey } from '../../platform/stores/timers.js';
import { startGroupConsumer } from '../../platform/service/group-consumer.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { ConversationStore } from '../../platform/stores/conversation-store.js';
import { PatientDirectory, patientTimeZone, type OrganizationSettings, type PatientProfile } from '../../platform/stores/patient-directory.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { decide, replyId } from './decide.js';
import { defaultWorkflow } from './default-workflow.js';
import { initialState, type Action, type ArmedTimer, type DialogueContext, type DialogueInput, type Language, type Reply, type WorkflowRuntime } from './types.js';

const STATE_TTL_SECONDS = 30 * 86_400;

/** What one handled message or signal produces. */
interface Turn {
  traceId: string; organizationId: string; patientId: string;
  /** The message or signal id the reply and action ids derive from. */
  causeId: string;
  at: number;
  channel: OutboundMessage['channel'];
  /** Overrides each reply's kind (proactive messages). */
  kind?: OutboundMessage['kind'];
  replyTo: string | null;
  workflowId: string | null;
  workflowVersion: number | null;
  replies: readonly Reply[];
  actions: readonly Action[];
  timers?: readonly ArmedTimer[] | undefined;
}

/** The organisation's workflows as a runtime, with the versions its conversations in flight need. */
async function pinnedFor(registry: WorkflowRegistry, organizationId: string, slotsJson: string, active: readonly ActiveWorkflow[]): Promise<Map<string, CompiledWorkflow>> {
  const pinned = new Map<string, CompiledWorkflow>();
  for (const p of pinnedVersions(parseSlots(slotsJson), active)) {
    const wf = await registry.version(organizationId, p.workflowId, p.version);
    if (wf !== undefined) pinned.set(p.workflowId, wf);
  }
  return pinned;
}

async function runtimeFor(registry: WorkflowRegistry, organizationId: string, slotsJson: string, text: string): Promise<WorkflowRuntime> {
  const active = registry.activeFor(organizationId);
  if (active.length === 0) return defaultWorkflow;
  return programRuntime(active, await pinnedFor(registry, organizationId, slotsJson, active), text, defaultWorkflow);
}

/** Follows config.workflows with a consumer of this instance's own, so every instance sees every publish. */
async function followWorkflows(ctx: ServiceContext, registry: WorkflowRegistry): Promise<Consumer> {
  const [driver, catalogue] = await Promise.all([ctx.deps.driver(), ctx.deps.catalogue()]);
  const prefix = ctx.cfg.kafka.topicPrefix;
  const consumer = driver.consumer({ groupId: `${prefix}dialogue-config-${randomUUID()}`, topics: [`${prefix}config.workflows`], fromBeginning: true, sessionTimeoutMs: ctx.cfg.consumer.sessionTimeout });
  await consumer.start(async (records) => {
    for (const r of records) {
      try {
        registry.apply(await catalogue.decode<WorkflowPublished>(r.value));
      } catch (err) {
        ctx.log.error({ code: normalizeError(err).code, offset: r.offset }, 'workflow publication skipped');
      }
    }
  });
  return consumer;
}

/** Slots may hold a patient's answers: they rest in Redis sealed with the organisation's key. */
async function sealSlots(keyring: Keyring, org: string, patient: string, slots: string): Promise<string> {
  if (slots === '{}' || slots === '') return '{}';
  const s = await keyring.sealText(org, patient, slots);
  return `sealed:${s.keyId}:${s.nonce.toString('base64')}:${s.ciphertext.toString('base64')}`;
}

async function openSlots(keyring: Keyring, org: string, patient: string, stored: string): Promise<string> {
  if (!stored.startsWith('sealed:')) return stored;
  const [, keyId, nonce, ct] = /^sealed:(.+):([^:]+):([^:]+)$/.exec(stored) ?? [];
  if (keyId === undefined || nonce === undefined || ct === undefined) return '{}';
  return keyring.openText(org, patient, { keyId, nonce: Buffer.from(nonce, 'base64'), ciphertext: Buffer.from(ct, 'base64') });
}

async function inputOf(m: UnderstoodMessage, keyring: Keyring): Promise<DialogueInput> {
  const entities = m.entities === null ? [] : JSON.parse(await keyring.openText(m.organizationId, m.patientId, m.entities)) as DialogueInput['entities'];
  return {
    messageId: m.messageId, clientMessageId: m.clientMessageId, organizationId: m.organizationId, patientId: m.patientId,
    channel: m.channel, intent: m.intent, confidence: m.confidence, language: (m.language === 'es' ? 'es' : 'en') as Language,
    entities, receivedAt: m.receivedAt,
  };
}

/**
 * The dialogue processor: runs the patient's workflow on each understood message with the
 * conversation state from Redis, produces replies to chat.outbound and actions to patient.actions,
 * then saves the state. Replays are recognised by message id and produce nothing twice.
 */
/** What the dialogue knows of the organisation and the patient for one turn; times read in the patient's zone. */
function dialogueContext(org: OrganizationSettings, patient: PatientProfile, now: number): DialogueContext {
  return {
    organizationName: org.displayName, emergencyNumber: org.emergencyNumber, languages: org.languages, medications: patient.medications, now,
    timeZone: patientTimeZone(patient, org),
  };
}

export const dialogue: ServiceDefinition = {
  name: 'dialogue',
  description: 'workflow runtime: intents and state in, replies and actions out',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const { deps } = ctx;
    const [publisher, redis, pool, keyring] = await Promise.all([deps.publisher(), deps.redis(), deps.postgres(), deps.keyring()]);
    const directory = new PatientDirectory(pool);
    const store = new ConversationStore(redis, STATE_TTL_SECONDS, Date.now, ctx.cfg.redis.keyPrefix);
    const timers = new TimerStore(redis, timerKey(ctx.cfg.kafka.topicPrefix, ctx.cfg.redis.keyPrefix));
    const registry = new WorkflowRegistry(new WorkflowRepository(pool));
    await registry.prime();
    const config = await followWorkflows(ctx, registry);
    /** Produces a turn's replies and actions (ids derived from the cause, so replays repeat them) and arms its timers. */
    const emit = async (t: Turn): Promise<void> => {
      const ids = { traceId: t.traceId, organizationId: t.organizationId, patientId: t.patientId };
      const outbound: OutboundMessage[] = await Promise.all(t.replies.map(async (r, i) => ({
        ...ids, messageId: replyId(t.causeId, i), channel: t.channel, kind: t.kind ?? r.kind, replyTo: t.replyTo, createdAt: t.at,
        workflowId: t.workflowId, workflowVersion: t.workflowVersion, templateId: r.templateId, variantId: r.variantId ?? null,
        content: await keyring.sealText(t.organizationId, t.patientId, JSON.stringify({ text: r.text, quickReplies: r.quickReplies })),
      })));
      const actions: PatientAction[] = t.actions.map((a, i) => ({
        ...ids, actionId: replyId(t.causeId, 1000 + i), type: a.type, occurredAt: t.at, causedBy: t.causeId,
        workflowId: t.workflowId, workflowVersion: t.workflowVersion, attributes: a.attributes, payload: null,
      }));
      await Promise.all([
        publisher.publish('chat.outbound', outbound.map((o) => ({ key: o.patientId, value: o }))),
        publisher.publish('patient.actions', actions.map((a) => ({ key: a.patientId, value: a }))),
      ]);
      await timers.schedule((t.timers ?? []).map((x) => ({ ...x, organizationId: t.organizationId, patientId: t.patientId })));
    };
    /** A signal drives the workflows that wait for it; proactive messages never go to an opted-out patient. */
    const onSignal = async (s: PatientSignal): Promise<void> => {
      const [org, patient, saved] = await Promise.all([directory.organization(s.organizationId), directory.patient(s.organizationId, s.patientId), store.get(s.patientId)]);
      const state = saved ?? initialState(s.organizationId, defaultWorkflow, patient.status === 'opted_out');
      if (state.recent.includes(s.signalId) || state.optedOut || patient.status !== 'active') return;
      const slotsJson = await openSlots(keyring, s.organizationId, s.patientId, state.slots);
      const active = registry.activeFor(s.organizationId);
      const pinned = await pinnedFor(registry, s.organizationId, slotsJson, active);
      const language = patient.preferredLanguage === 'es' ? 'es' : 'en';
      const out = runSignal(active, pinned, slotsJson, { type: s.type, attributes: s.attributes }, language, s.occurredAt, dialogueContext(org, patient, s.occurredAt));
      const next = { ...state, recent: [...state.recent, s.signalId].slice(-64), slots: out?.slots ?? slotsJson };
      if (out !== null) {
        await emit({
          traceId: s.traceId, organizationId: s.organizationId, patientId: s.patientId, causeId: s.signalId, at: s.occurredAt,
          channel: 'WEB', kind: 'PROACTIVE', replyTo: null, workflowId: out.workflowId, workflowVersion: out.workflowVersion,
          replies: out.replies, actions: out.actions, timers: out.timers,
        });
      }
      await store.put(s.patientId, { ...next, slots: await sealSlots(keyring, s.organizationId, s.patientId, next.slots) });
    };
    const consumer = await startGroupConsumer(ctx, 'dialogue', {
      // rc.log is built on first use: reading it for every record would cost a child logger each.
      process: async (value, rc) => {
        const { topic } = rc;
        if (topic === 'patient.signals') { await onSignal(value as PatientSignal); return; }
        const m = value as UnderstoodMessage;
        const [input, text, org, patient, saved] = await Promise.all([
          inputOf(m, keyring), keyring.openText(m.organizationId, m.patientId, m.text),
          directory.organization(m.organizationId), directory.patient(m.organizationId, m.patientId), store.get(m.patientId),
        ]);
        const stored = saved === null ? null : { ...saved, slots: await openSlots(keyring, m.organizationId, m.patientId, saved.slots) };
        const runtime = await runtimeFor(registry, m.organizationId, stored?.slots ?? '{}', text);
        const result = decide(input, stored, dialogueContext(org, patient, m.receivedAt), runtime, patient.status === 'opted_out');
        if (result.duplicate) { rc.log.info('message already handled; replay ignored'); return; }
        if (result.workflowError !== undefined) rc.log.error({ err: (result.workflowError as Error).message }, 'workflow failed; safety layer answered');
        await emit({
          traceId: m.traceId, organizationId: m.organizationId, patientId: m.patientId, causeId: m.messageId, at: m.receivedAt,
          channel: m.channel, replyTo: m.clientMessageId, workflowId: result.nextState.workflowId, workflowVersion: result.nextState.workflowVersion,
          replies: result.replies, actions: result.actions, timers: result.timers,
        });
        await store.put(m.patientId, { ...result.nextState, slots: await sealSlots(keyring, m.organizationId, m.patientId, result.nextState.slots) });
      },
    });
    return { name: 'dialogue', endpoints: [], checks: deps.checks(['kafka', 'registry', 'redis', 'postgres']), stop: async () => { await consumer.stop(); await config.stop(); } };
  },
};
