import type { OutboundMessage, PatientAction, UnderstoodMessage } from '../../schemas/generated/avro-types.js';
import { startGroupConsumer } from '../../platform/service/group-consumer.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { ConversationStore } from '../../platform/stores/conversation-store.js';
import { PatientDirectory } from '../../platform/stores/patient-directory.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { decide, replyId } from './decide.js';
import { defaultWorkflow } from './default-workflow.js';
import type { DialogueInput, Language } from './types.js';

const STATE_TTL_SECONDS = 30 * 86_400;

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
export const dialogue: ServiceDefinition = {
  name: 'dialogue',
  description: 'workflow runtime: intents and state in, replies and actions out',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const { deps } = ctx;
    const [publisher, redis, pool, keyring] = await Promise.all([deps.publisher(), deps.redis(), deps.postgres(), deps.keyring()]);
    const directory = new PatientDirectory(pool);
    const store = new ConversationStore(redis, STATE_TTL_SECONDS);
    const consumer = await startGroupConsumer(ctx, 'dialogue', {
      process: async (value, { topic, log }) => {
        if (topic !== 'chat.intents') return; // patient signals drive workflows once the workflow language lands
        const m = value as UnderstoodMessage;
        const [input, org, patient, stored] = await Promise.all([
          inputOf(m, keyring), directory.organization(m.organizationId), directory.patient(m.organizationId, m.patientId), store.get(m.patientId),
        ]);
        const result = decide(input, stored, {
          organizationName: org.displayName, emergencyNumber: org.emergencyNumber, languages: org.languages, medications: patient.medications, now: m.receivedAt,
        }, defaultWorkflow, patient.status === 'opted_out');
        if (result.duplicate) { log.info('message already handled; replay ignored'); return; }
        if (result.workflowError !== undefined) log.error({ err: (result.workflowError as Error).message }, 'workflow failed; safety layer answered');
        const ids = { traceId: m.traceId, organizationId: m.organizationId, patientId: m.patientId };
        const outbound: OutboundMessage[] = await Promise.all(result.replies.map(async (r, i) => ({
          ...ids, messageId: replyId(m.messageId, i), channel: m.channel, kind: r.kind, replyTo: m.clientMessageId, createdAt: m.receivedAt,
          workflowId: result.nextState.workflowId, workflowVersion: result.nextState.workflowVersion, templateId: r.templateId, variantId: null,
          content: await keyring.sealText(m.organizationId, m.patientId, JSON.stringify({ text: r.text, quickReplies: r.quickReplies })),
        })));
        const actions: PatientAction[] = result.actions.map((a, i) => ({
          ...ids, actionId: replyId(m.messageId, 1000 + i), type: a.type, occurredAt: m.receivedAt, causedBy: m.messageId,
          workflowId: result.nextState.workflowId, workflowVersion: result.nextState.workflowVersion, attributes: a.attributes, payload: null,
        }));
        await Promise.all([
          publisher.publish('chat.outbound', outbound.map((o) => ({ key: o.patientId, value: o }))),
          publisher.publish('patient.actions', actions.map((a) => ({ key: a.patientId, value: a }))),
        ]);
        await store.put(m.patientId, result.nextState);
      },
    });
    return { name: 'dialogue', endpoints: [], checks: deps.checks(['kafka', 'registry', 'redis', 'postgres']), stop: () => consumer.stop() };
  },
};
