import type { CompiledWorkflow, CTrigger } from './compiled.js';
import { asInstant, type Value } from './functions.js';
import type { WorkflowState } from './runtime-types.js';

const DAY = 86_400_000;

/** The next time a schedule trigger fires after `now`, or null while its date or time is unknown. */
export function nextOccurrence(t: CTrigger, now: number, lookup: (name: string) => Value): number | null {
  if (t.kind === 'daily') {
    const hhmm = t.time ?? String(lookup(t.field ?? '') ?? '');
    const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
    if (m === null) return null;
    // Times of day are UTC: the host converts the patient's local preference when it builds the profile.
    const today = Math.floor(now / DAY) * DAY + (Number(m[1]) * 60 + Number(m[2])) * 60_000;
    return today > now ? today : today + DAY;
  }
  if (t.kind === 'relative') {
    const anchor = asInstant(lookup(t.field));
    if (anchor === null) return null;
    const at = anchor + t.offsetMs;
    return at > now ? at : null;
  }
  return null;
}

export function scheduleTimerId(triggerId: string, at: number): string {
  return `sched:${triggerId}:${at}`;
}

/** Arms each schedule trigger's next occurrence once; returns the timers the host must set. */
export function armSchedules(wf: CompiledWorkflow, state: WorkflowState, now: number, lookup: (name: string) => Value): Array<{ id: string; at: number }> {
  const timers: Array<{ id: string; at: number }> = [];
  for (const t of wf.triggers) {
    const at = nextOccurrence(t, now, lookup);
    if (at === null || state.schedules[t.id]?.at === at) continue;
    state.schedules[t.id] = { at, fired: false };
    timers.push({ id: scheduleTimerId(t.id, at), at });
  }
  return timers;
}
