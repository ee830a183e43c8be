import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { CareloopError } from '../../platform/errors.js';

export const MAX_TEXT_CHARS = 2000;

const MessageFrame = Type.Object({
  type: Type.Literal('message'),
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' }),
  text: Type.String(),
  locale: Type.Optional(Type.String({ minLength: 2, maxLength: 35, pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$' })),
}, { additionalProperties: false });

const PingFrame = Type.Object({ type: Type.Literal('ping') }, { additionalProperties: false });

export type MessageFrame = Static<typeof MessageFrame>;
export type ClientFrame = MessageFrame | Static<typeof PingFrame>;

const checkMessage = TypeCompiler.Compile(MessageFrame);
const checkPing = TypeCompiler.Compile(PingFrame);

/** The client id of a frame when it can be read, so an error can point at the message it concerns. */
export function frameId(parsed: unknown): string | null {
  if (parsed !== null && typeof parsed === 'object' && typeof (parsed as { id?: unknown }).id === 'string') {
    const id = (parsed as { id: string }).id;
    return id.length <= 64 ? id : null;
  }
  return null;
}

/**
 * Parses one client frame. Errors carry stable codes: BAD_FRAME (not JSON, unknown type, missing or
 * unknown fields), PAYLOAD_TOO_LARGE (text over 2,000 characters), VALIDATION_FAILED (empty text).
 */
export function parseFrame(raw: string): ClientFrame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new CareloopError('BAD_FRAME', 'frame is not valid JSON');
  }
  if (checkPing.Check(parsed)) return parsed;
  if (checkMessage.Check(parsed)) {
    const chars = [...parsed.text].length;
    if (chars > MAX_TEXT_CHARS) throw new CareloopError('PAYLOAD_TOO_LARGE', `text has ${chars} characters; the limit is ${MAX_TEXT_CHARS}`);
    if (parsed.text.trim() === '') throw new CareloopError('VALIDATION_FAILED', 'text is empty');
    return parsed;
  }
  const type = parsed !== null && typeof parsed === 'object' ? (parsed as { type?: unknown }).type : undefined;
  if (type !== 'message' && type !== 'ping') throw new CareloopError('BAD_FRAME', 'frame type must be "message" or "ping"');
  const first = [...checkMessage.Errors(parsed)][0];
  const where = first === undefined ? '' : ` at ${first.path || '/'}: ${first.message}`;
  throw new CareloopError('BAD_FRAME', `message frame does not match the schema${where}`);
}

export interface ServerMessageFrame {
  type: 'message';
  id: string;
  replyTo: string | null;
  text: string;
  quickReplies: string[];
  /** ISO 8601: when the gateway sent it */
  sentAt: string;
}
