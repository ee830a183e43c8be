import type { CompiledWorkflow, CTrigger } from './compiled.js';
import { asInstant, type Value } from './functions.js';
import type { WorkflowState } from './runtime-types.js';
import { nextLocalTime } from '../time/zones.js';

/** The next time a schedule trigger fires after `now`, or null while its date or time is unknown. */
export function nextOccurrence(t: CTrigger, now: number, lookup: (name: string) => Value, timeZone = 'UTC'): number | null {
  if (t.kind === 'daily') {
    const hhmm = t.time ?? String(lookup(t.field ?? '') ?? '');
    const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
    if (m === null || Number(m[1]) > 23 || Number(m[2]) > 59) return null;
    // A time of day is the patient's wall-clock time, in their zone, across daylight-saving changes.
    return nextLocalTime(now, Number(m[1]), Number(m[2]), timeZone);
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
export function armSchedules(wf: CompiledWorkflow, state: WorkflowState, now: number, lookup: (name: string) => Value, timeZone = 'UTC'): Array<{ id: string; at: number }> {
  const timers: Array<{ id: string; at: number }> = [];
  for (const t of wf.triggers) {
    const at = nextOccurrence(t, now, lookup, timeZone);
    if (at === null || state.schedules[t.id]?.at === at) continue;
    state.schedules[t.id] = { at, fired: false };
    timers.push({ id: scheduleTimerId(t.id, at), at });
  }
  return timers;
}
