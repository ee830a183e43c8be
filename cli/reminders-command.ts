import type { Config } from '../platform/config/config.js';
import { CareloopError } from '../platform/errors.js';
import { createLogger } from '../platform/log.js';
import { Dependencies } from '../platform/service/dependencies.js';
import { OccurrenceStore, type StoredOccurrence } from '../platform/stores/reminder-occurrences.js';
import { effectiveTimeZone, localParts } from '../platform/time/zones.js';
import { UsageError } from './usage.js';

export const REMINDERS_HELP = `Usage: careloop reminders show <patientId> [--from <ISO time>] [--limit <n>] [--json]

Prints a patient's reminder occurrences from now (or --from) on, as the scheduler stored them: the
occurrence id (which is also the signal id), kind (dose_due, refill_due), the care-plan id of the
medication, the due time in UTC and in the patient's zone, state (pending, indexed, dispatched,
cancelled) and how many signals were sent. Ids and times only: no medication names.
  --limit <n>   at most n occurrences (default 20, at most 1000)
  --json        one JSON object {patientId, timeZone, occurrences: [...]}`;

function localLabel(at: number, timeZone: string): string {
  const p = localParts(at, timeZone);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${p.year}-${p2(p.month)}-${p2(p.day)} ${p2(p.hour)}:${p2(p.minute)}`;
}

/** The lines `reminders show` prints, one per occurrence (pure, for the test). */
export function formatOccurrences(rows: readonly StoredOccurrence[], timeZone: string): string[] {
  return rows.map((r) => [
    localLabel(r.dueAt, timeZone), new Date(r.dueAt).toISOString().replace('.000Z', 'Z'), r.kind.padEnd(10), r.state.padEnd(10),
    `sent ${r.deliveries}`, `medication ${r.medicationId || '-'}`, r.id,
  ].join('  '));
}

export async function remindersShow(cfg: Config, patientId: string | undefined, opts: { from?: string; limit?: string; json: boolean }): Promise<number> {
  if (patientId === undefined) throw new UsageError('reminders show needs a patient id; see careloop reminders --help');
  const from = opts.from === undefined ? Date.now() : Date.parse(opts.from);
  if (Number.isNaN(from)) throw new UsageError(`--from must be an ISO time such as 2026-03-08T00:00Z; got "${String(opts.from)}"`);
  const limit = Number(opts.limit ?? '20');
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit takes a whole number from 1 to 1000');
  const deps = new Dependencies(cfg, createLogger({ level: 'warn' }));
  try {
    const pool = await deps.postgres();
    const { rows: [p] } = await pool.query<{ tz: string | null; org_tz: string }>(
      'SELECT p.timezone AS tz, o.timezone AS org_tz FROM patients p JOIN organizations o ON o.id = p.organization_id WHERE p.id = $1', [patientId]);
    if (p === undefined) throw new CareloopError('NOT_FOUND', `no patient ${patientId}`);
    const timeZone = effectiveTimeZone(p.tz, p.org_tz);
    const rows = await new OccurrenceStore(pool, cfg.kafka.topicPrefix).upcoming(patientId, from, limit);
    if (opts.json) {
      console.log(JSON.stringify({ patientId, timeZone, occurrences: rows.map((r) => ({ id: r.id, kind: r.kind, medicationId: r.medicationId, dueAt: new Date(r.dueAt).toISOString(), local: localLabel(r.dueAt, timeZone), state: r.state, deliveries: r.deliveries })) }));
      return 0;
    }
    console.log(`patient ${patientId} (${timeZone}): ${rows.length} reminder occurrence${rows.length === 1 ? '' : 's'} from ${new Date(from).toISOString()}`);
    for (const line of formatOccurrences(rows, timeZone)) console.log(`  ${line}`);
    return 0;
  } finally {
    await deps.close();
  }
}
