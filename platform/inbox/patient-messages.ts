import { createHash } from 'node:crypto';
import type { OutboundMessage } from '../../schemas/generated/avro-types.js';
import type { Keyring } from '../crypto/keyring.js';
import { roughly } from './rules.js';
import type { Task } from './types.js';

/** What the inbox itself tells a patient, in their language; one place for these texts. */
export const INBOX_TEXTS = {
  inbox_hold: {
    en: 'A member of the care team at {org} will answer you here within {eta}. Until then I will stay quiet so that they can help you. In an emergency, call {emergency}.',
    es: 'Un miembro del equipo de cuidado de {org} le responderá aquí en {eta}. Mientras tanto no intervendré, para que le puedan ayudar. En una emergencia, llame al {emergency}.',
  },
  inbox_resumed: {
    en: 'The care team has finished with your request. I am here again if you need anything.',
    es: 'El equipo de cuidado ha terminado con su consulta. Vuelvo a estar aquí si necesita algo.',
  },
} as const;

export type InboxTemplate = keyof typeof INBOX_TEXTS;

export function inboxText(id: InboxTemplate, lang: 'en' | 'es', vars: Readonly<Record<string, string>>): string {
  return INBOX_TEXTS[id][lang].replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? '');
}

/** A message id in UUID form derived from a name (a task's notice): a re-sent notice keeps its id, which delivery drops. */
export function noticeId(name: string): string {
  const h = createHash('sha256').update(`inbox:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The hold notice: someone will answer, and roughly when (the task's due time from now). */
export function holdNotice(task: Pick<Task, 'language' | 'dueAt'>, org: { name: string; emergencyNumber: string }, now: number): string {
  return inboxText('inbox_hold', task.language, { org: org.name, emergency: org.emergencyNumber, eta: roughly(Math.max(60_000, task.dueAt - now), task.language) });
}

/**
 * A message of the inbox (a notice, or a staff member's reply) as a chat.outbound record: on the
 * channel of the patient's conversation, through the normal delivery path, content sealed. The
 * id is given by the caller so a retried send is delivered once.
 */
export async function outboundFor(keyring: Keyring, task: Pick<Task, 'organizationId' | 'patientId' | 'channel'>, m: { messageId: string; traceId: string; kind: OutboundMessage['kind']; templateId: string; text: string; at: number }): Promise<OutboundMessage> {
  return {
    messageId: m.messageId, traceId: m.traceId, organizationId: task.organizationId, patientId: task.patientId, channel: task.channel,
    kind: m.kind, replyTo: null, createdAt: m.at, workflowId: 'care_team', workflowVersion: null, templateId: m.templateId, variantId: null, propensity: null,
    content: await keyring.sealText(task.organizationId, task.patientId, JSON.stringify({ text: m.text, quickReplies: [] })),
  };
}
