import { randomUUID } from 'node:crypto';
import type { OutboundMessage, PatientAction, PatientSignal, UnderstoodMessage, WorkflowPublished } from '../../schemas/generated/avro-types.js';
import { normalizeError } from '../../platform/errors.js';
import type { Consumer } from '../../platform/kafka/types.js';
import type { Logger } from '../../platform/log.js';
import type { CompiledWorkflow } from '../../platform/workflow/compiled.js';
import { WorkflowRepository } from '../../platform/workflow/repository.js';
import { TimerStore, timerKey } from '../../platform/stores/timers.js';
import { startGroupConsumer } from '../../platform/service/group-consumer.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { ConversationStore } from '../../platform/stores/conversation-store.js';
import { ConversationHolds } from '../../platform/stores/conversation-holds.js';
import { ProfileStore, profileKeyPrefix } from '../../platform/profiles/store.js';
import { workflowProfile } from '../../platform/profiles/workflow-fields.js';
import { PatientDirectory, patientTimeZone, type OrganizationSettings, type PatientProfile } from '../../platform/stores/patient-directory.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { dosingInstruction, dosingQuestion } from '../../platform/safety/dosing.js';
import { emergencyModelPath, loadEmergencyDetector } from '../../platform/safety/model-file.js';
import { Conversations } from './conversations.js';
import { defaultWorkflow } from './default-workflow.js';
import { replyId } from './ids.js';
import { problemCounter, reportProblems } from './problems.js';
import { pinnedVersions, type Programs } from './programs.js';
import type { SafetyKit } from './safety-layer.js';
import { adherenceByMedication, doseAdherence } from '../../platform/reminders/adherence.js';
import { ReminderAnswers } from '../../platform/stores/reminder-answers.js';
import { of, turn, type TurnResult } from './turn.js';
import type { Conversation, DialogueContext, Language, MessageEvent, SignalEvent, TurnEvent } from './types.js';
import { WorkflowRegistry } from './workflow-registry.js';
import { planDelivery } from '../../platform/delivery/channel.js';
import { ReachabilityReader } from '../../platform/delivery/reachability.js';
import { RouteTable } from '../../platform/stores/routing.js';
import { observations, pendingSends } from './variant-choice.js';
import { BanditStore } from '../../platform/stores/bandit-store.js';
import { resolve, type PendingSend } from '../../platform/personalisation/rewards.js';

/** A conversation untouched for a month is forgotten (its workflows' waits are long over by then). */
const STATE_TTL_SECONDS = 30 * 86_400;
/** Sends waiting for a reward outlive the longest reward window a workflow is likely to set. */
const PENDING_TTL_SECONDS = 14 * 86_400;
/** The segment of a patient the daily segmentation has not placed yet. */
const SEGMENT_ALL = 'all';

/** What the turn's records carry besides its outcomes. */
interface Envelope {
  traceId: string;
  /** The message or signal id the reply and action ids derive from. */
  causeId: string;
  at: number;
  channel: OutboundMessage['channel'];
  /** Overrides each reply's kind (proactive messages). */
  kind?: OutboundMessage['kind'];
  replyTo: string | null;
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

/** The organisation's published workflows, with the versions its conversations in flight need. */
async function programsFor(registry: WorkflowRegistry, organizationId: string, conv: Conversation | null): Promise<Programs> {
  const active = registry.activeFor(organizationId);
  const pinned = new Map<string, CompiledWorkflow>();
  for (const p of pinnedVersions(conv?.slots ?? { wf: {} }, active)) {
    const wf = await registry.version(organizationId, p.workflowId, p.version);
    if (wf !== undefined) pinned.set(p.workflowId, wf);
  }
  return { active, pinned };
}

/** The patient's 30-day dose adherence, over all medications and per medication (platform/reminders/adherence.ts). */
async function adherence30d(answers: ReminderAnswers, patientId: string, now: number, timeZone: string): Promise<NonNullable<DialogueContext['adherence30d']>> {
  const records = await answers.doseRecords(patientId, now - 30 * 86_400_000, now);
  const byMedication = Object.fromEntries(adherenceByMedication(records, now, timeZone).map((m) => [m.medicationId, m.windows[30].rate]));
  return { overall: doseAdherence(records, null, 30, now).rate, byMedication };
}

/** What the dialogue knows of the organisation and the patient for one turn; times read in the patient's zone. */
function dialogueContext(org: OrganizationSettings, patient: PatientProfile): DialogueContext {
  return {
    organizationName: org.displayName, emergencyNumber: org.emergencyNumber, crisisNumber: org.crisisNumber, poisonControlNumber: org.poisonControlNumber,
    careTeamContact: org.careTeamContact, fallbackText: org.fallbackText, languages: org.languages, medications: patient.medications,
    timeZone: patientTimeZone(patient, org),
  };
}

async function messageEvent(m: UnderstoodMessage, keyring: Keyring): Promise<MessageEvent> {
  const [text, entities] = await Promise.all([
    keyring.openText(m.organizationId, m.patientId, m.text),
    m.entities === null ? '[]' : keyring.openText(m.organizationId, m.patientId, m.entities),
  ]);
  return {
    kind: 'message', messageId: m.messageId, clientMessageId: m.clientMessageId, organizationId: m.organizationId, patientId: m.patientId,
    channel: m.channel === 'SMS' ? 'SMS' : 'WEB', // patients write on the web or by text only
    intent: m.intent, confidence: m.confidence, language: (m.language === 'es' ? 'es' : 'en') as Language,
    text, entities: JSON.parse(entities) as MessageEvent['entities'], receivedAt: m.receivedAt,
  };
}

function signalEvent(s: PatientSignal, patient: PatientProfile): SignalEvent {
  return {
    kind: 'signal', signalId: s.signalId, organizationId: s.organizationId, patientId: s.patientId, type: s.type, attributes: s.attributes,
    language: patient.preferredLanguage === 'es' ? 'es' : 'en', occurredAt: s.occurredAt,
  };
}

/**
 * The dialogue processor: load (directory, conversation, workflows) → turn (pure: safety layer,
 * published workflows, default) → emit (replies to chat.outbound, actions to patient.actions, timers,
 * problems logged and counted), then save the conversation. Replays produce nothing twice.
 */
export const dialogue: ServiceDefinition = {
  name: 'dialogue',
  description: 'safety layer and workflow runtime: intents and signals in, replies, actions and timers out',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const { deps } = ctx;
    const [publisher, redis, pool, keyring, detector] = await Promise.all([deps.publisher(), deps.redis(), deps.postgres(), deps.keyring(), loadEmergencyDetector(emergencyModelPath())]);
    const directory = new PatientDirectory(pool, keyring);
    const profiles = new ProfileStore(redis, profileKeyPrefix(ctx.cfg));
    const answers = new ReminderAnswers(pool, ctx.cfg.kafka.topicPrefix);
    const conversations = new Conversations(new ConversationStore(redis, STATE_TTL_SECONDS, ctx.now, ctx.cfg.redis.keyPrefix), keyring);
    const holds = new ConversationHolds(redis, ctx.cfg.redis.keyPrefix);
    const timers = new TimerStore(redis, timerKey(ctx.cfg.kafka.topicPrefix, ctx.cfg.redis.keyPrefix));
    const bandit = new BanditStore(redis, ctx.cfg.redis.keyPrefix, PENDING_TTL_SECONDS);
    const registry = new WorkflowRegistry(new WorkflowRepository(pool));
    const safety: SafetyKit = { emergency: detector, dosingQuestion, dosingInstruction };
    const problems = problemCounter(ctx.metrics.registry);
    const reachability = new ReachabilityReader(pool, new RouteTable(redis, ctx.cfg.redis.keyPrefix), await ctx.deps.vaultPostgres());
    await registry.prime();
    const config = await followWorkflows(ctx, registry);

    const emit = async (event: TurnEvent, env: Envelope, result: TurnResult): Promise<void> => {
      const ids = { traceId: env.traceId, organizationId: event.organizationId, patientId: event.patientId };
      const workflow = { workflowId: result.answeredBy?.workflowId ?? null, workflowVersion: result.answeredBy?.workflowVersion ?? null };
      const outbound: OutboundMessage[] = await Promise.all(of(result.outcomes, 'reply').map(async ({ reply: r }, i) => ({
        ...ids, ...workflow, messageId: replyId(env.causeId, i), channel: env.channel, kind: env.kind ?? r.kind, replyTo: env.replyTo, createdAt: env.at,
        templateId: r.templateId, variantId: r.variantId ?? null, propensity: r.propensity ?? null,
        content: await keyring.sealText(event.organizationId, event.patientId, JSON.stringify({ text: r.text, quickReplies: r.quickReplies })),
      })));
      const actions: PatientAction[] = await Promise.all(of(result.outcomes, 'action').map(async ({ action: a }, i) => {
        // An escalation tells the care team where to answer and carries the patient's words, sealed.
        const escalation = a.type === 'escalate' || a.type === 'handoff';
        const attributes = escalation ? { ...a.attributes, channel: env.channel, language: event.language } : a.attributes;
        const payload = escalation && event.kind === 'message' ? await keyring.sealText(event.organizationId, event.patientId, event.text) : null;
        return { ...ids, ...workflow, actionId: replyId(env.causeId, 1000 + i), type: a.type, occurredAt: env.at, causedBy: env.causeId, attributes, payload };
      }));
      await Promise.all([
        publisher.publish('chat.outbound', outbound.map((o) => ({ key: o.patientId, value: o }))),
        publisher.publish('patient.actions', actions.map((a) => ({ key: a.patientId, value: a }))),
      ]);
      await timers.schedule(of(result.outcomes, 'timer').map(({ timer }) => ({ ...timer, organizationId: event.organizationId, patientId: event.patientId })));
    };

    /** The variant bandit learns: earlier sends this turn rewards are counted, then this turn's sends wait for theirs. */
    const learn = async (event: TurnEvent, env: Envelope, result: TurnResult, segment: string, pending: PendingSend[]): Promise<void> => {
      const seen = observations(event.kind === 'message', of(result.outcomes, 'action').map((a) => a.action), env.at);
      const settled = resolve(pending, seen, env.at);
      await bandit.settle(event.organizationId, event.patientId, settled.rewarded, settled.expired);
      const replies = of(result.outcomes, 'reply').map((o) => o.reply);
      await bandit.recordSends(event.organizationId, event.patientId, pendingSends(replies, (i) => replyId(env.causeId, i), segment, env.at));
    };

    /** Loads everything the turn needs at once (the event itself may need the patient: a signal's language). */
    const handle = async (ref: { organizationId: string; patientId: string }, eventOf: (patient: Promise<PatientProfile>) => Promise<TurnEvent>, env: Envelope, log: () => Logger): Promise<void> => {
      const patientLoaded = directory.patient(ref.organizationId, ref.patientId);
      const [org, patient, conversation, event, hold, profile, pending, last] = await Promise.all([
        directory.organization(ref.organizationId), patientLoaded, conversations.load(ref.organizationId, ref.patientId), eventOf(patientLoaded), holds.get(ref.patientId),
        profiles.view(ref.organizationId, ref.patientId), bandit.pending(ref.organizationId, ref.patientId), bandit.lastVariants(ref.organizationId, ref.patientId),
      ]);
      const fields = workflowProfile(profile?.summary ?? null);
      // The bandit learns per (message, segment); a patient the daily job has not placed yet is in "all".
      const segment = typeof fields['segment'] === 'string' && fields['segment'] !== '' ? fields['segment'] : SEGMENT_ALL;
      const context = dialogueContext(org, patient);
      // Adherence is read for proactive turns only (a reminder, a schedule): a chat reply does not pay the query.
      const [arms, adherence] = await Promise.all([
        bandit.arms(ref.organizationId, segment),
        event.kind === 'signal' ? adherence30d(answers, ref.patientId, event.occurredAt, context.timeZone) : Promise.resolve(undefined),
      ]);
      if (adherence !== undefined) context.adherence30d = adherence;
      const result = turn(event, {
        conversation, optedOutOnRecord: patient.status === 'opted_out', patientActive: patient.status === 'active',
        ctx: context, profile: fields, programs: await programsFor(registry, ref.organizationId, conversation), builtIn: defaultWorkflow, safety,
        held: hold === null ? null : { dueAt: hold.dueAt },
        variants: { segment, arms, last },
      });
      if (result.duplicate) { log().info('already handled; replay ignored'); return; }
      reportProblems(of(result.outcomes, 'problem').map((p) => p.problem), log, problems);
      await emit(event, env, result);
      await learn(event, env, result, segment, pending);
      await conversations.save(ref.organizationId, ref.patientId, result.next);
    };

    const consumer = await startGroupConsumer(ctx, 'dialogue', {
      // rc.log is built on first use: reading it for every record would cost a child logger each.
      process: async (value, rc) => {
        const log = (): Logger => rc.log;
        if (rc.topic === 'patient.signals') {
          const s = value as PatientSignal;
          // A proactive message goes where the patient can be reached now (platform/delivery/channel.ts).
          const channel = planDelivery(await reachability.of(s.organizationId, s.patientId)).channels[0] ?? 'WEB';
          await handle(s, async (patient) => signalEvent(s, await patient), { traceId: s.traceId, causeId: s.signalId, at: s.occurredAt, channel, kind: 'PROACTIVE', replyTo: null }, log);
          return;
        }
        const m = value as UnderstoodMessage;
        await handle(m, () => messageEvent(m, keyring), { traceId: m.traceId, causeId: m.messageId, at: m.receivedAt, channel: m.channel, replyTo: m.clientMessageId }, log);
      },
    });
    return { name: 'dialogue', endpoints: [], checks: deps.checks(['kafka', 'registry', 'redis', 'postgres']), stop: async () => { await consumer.stop(); await config.stop(); } };
  },
};
