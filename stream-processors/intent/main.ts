import type { InboundMessage, UnderstoodMessage } from '../../schemas/generated/avro-types.js';
import { CareloopError } from '../../platform/errors.js';
import { startGroupConsumer } from '../../platform/service/group-consumer.js';
import { modelPath } from '../../platform/nlu/model-path.js';
import { PatientDirectory } from '../../platform/stores/patient-directory.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { IntentModel } from '../../platform/nlu/nlu.js';


/**
 * The intent processor: decrypts each inbound message in memory, detects intent, language and
 * entities (medication names from the patient's own list) and produces the understood message;
 * the text and entity values stay encrypted on the topic.
 */
export const intent: ServiceDefinition = {
  name: 'intent',
  description: 'NLU: intent, language and entities of every inbound message',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const { deps } = ctx;
    let model: IntentModel;
    try {
      model = await IntentModel.load(modelPath());
    } catch (err) {
      throw new CareloopError('CONFIG_INVALID', `the intent model ${modelPath()} is missing or unreadable; run \`npm run build\` to train it`, { cause: err });
    }
    const [publisher, pool, keyring] = await Promise.all([deps.publisher(), deps.postgres(), deps.keyring()]);
    const directory = new PatientDirectory(pool, keyring);
    const consumer = await startGroupConsumer(ctx, 'intent', {
      process: async (value) => {
        const m = value as InboundMessage;
        const [text, patient, timeZone] = await Promise.all([
          keyring.openText(m.organizationId, m.patientId, m.text),
          directory.patient(m.organizationId, m.patientId),
          directory.timeZone(m.organizationId, m.patientId),
        ]);
        // "tomorrow at 5" means 5 on the patient's clock.
        const u = await model.understand(text, { locale: m.locale, medications: patient.medications.map((x) => x.name), now: new Date(m.receivedAt), timeZone });
        const entities = u.entities.map((e) => ({ type: e.type, value: e.value, text: e.text }));
        const out: UnderstoodMessage = {
          messageId: m.messageId, traceId: m.traceId, organizationId: m.organizationId, patientId: m.patientId,
          channel: m.channel, clientMessageId: m.clientMessageId, receivedAt: m.receivedAt, understoodAt: ctx.now(),
          language: u.language, intent: u.intent, confidence: u.confidence,
          entityTypes: [...new Set(entities.map((e) => e.type))],
          entities: entities.length === 0 ? null : await keyring.sealText(m.organizationId, m.patientId, JSON.stringify(entities)),
          text: m.text,
        };
        await publisher.publish('chat.intents', [{ key: m.patientId, value: out }]);
      },
    });
    return { name: 'intent', endpoints: [], checks: deps.checks(['kafka', 'registry', 'postgres']), stop: () => consumer.stop() };
  },
};
