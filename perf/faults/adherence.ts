/**
 * Adherence rows under faults: every "I took my pill"-style message that the dialogue turns into a
 * record_adherence action must leave exactly one adherence_events row in PostgreSQL, whatever was
 * killed while it was on its way. The gateway derives a message's id from the patient's and the
 * client's ids (inboundMessageId), and action ids from the message id (replyId(message, 1000 + i)),
 * so each row is traced back to the message that caused it; a row whose id matches no message
 * would be a copy made under a fresh id. Pure: the ids are read by the caller.
 */
import { inboundMessageId } from '../../platform/ids.js';
import { replyId } from '../../stream-processors/dialogue/ids.js';
import type { Ledger, Row } from './ledger.js';

export interface AdherenceFigures {
  /** Messages of the "medication taken" mix category due in the row. */
  takenMessages: number;
  /** adherence_events rows caused by the row's messages. */
  rows: number;
  /** Messages with two or more rows (recorded twice under different action ids). */
  recordedTwice: number;
  /** Taken messages that were answered but left no row. */
  answeredWithoutRow: number;
}

/** Action ids a message may cause (the dialogue emits a handful of actions at most). */
const ACTIONS_PER_MESSAGE = 8;

export function adherenceFigures(organizationId: string, ledger: Ledger, row: Row, recordedIds: ReadonlySet<string>): AdherenceFigures {
  const f: AdherenceFigures = { takenMessages: 0, rows: 0, recordedTwice: 0, answeredWithoutRow: 0 };
  for (const m of ledger.messages.values()) {
    if (m.scheduledAt < row.from || m.scheduledAt >= row.to) continue;
    const messageId = inboundMessageId(organizationId, m.patient, m.id);
    let n = 0;
    for (let i = 0; i < ACTIONS_PER_MESSAGE; i++) if (recordedIds.has(replyId(messageId, 1000 + i))) n += 1;
    f.rows += n;
    if (n > 1) f.recordedTwice += 1;
    if (m.category === 'medication_taken') {
      f.takenMessages += 1;
      if (n === 0 && m.replies.length > 0) f.answeredWithoutRow += 1;
    }
  }
  return f;
}

/** Rows whose id no message of the run explains (copies under a fresh id): should be 0. */
export function unexplainedRows(organizationId: string, ledger: Ledger, recordedIds: ReadonlySet<string>): number {
  const explained = new Set<string>();
  for (const m of ledger.messages.values()) {
    const messageId = inboundMessageId(organizationId, m.patient, m.id);
    for (let i = 0; i < ACTIONS_PER_MESSAGE; i++) explained.add(replyId(messageId, 1000 + i));
  }
  let n = 0;
  for (const id of recordedIds) if (!explained.has(id)) n += 1;
  return n;
}
