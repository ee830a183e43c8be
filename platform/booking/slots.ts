import { localParts } from '../time/zones.js';
import { PART_HOURS, type AskedTime, type PartOfDay } from './when.js';

/** A free slot as the booking service offers it: our id, times, the service types it is for. */
export interface FreeSlot { id: string; startsAt: number; endsAt: number }

export interface SlotChoice extends AskedTime {
  now: number;
  timeZone: string;
  /** The patient's usual part of the day (profile); the asked one wins. */
  preferred?: PartOfDay;
  /** Earliest start after now (ms): nobody is offered a slot they cannot reach. */
  leadMs?: number;
  /** How far ahead to look when no window is asked (ms). */
  horizonMs?: number;
  limit?: number;
}

function inPart(at: number, part: PartOfDay, timeZone: string): boolean {
  const h = localParts(at, timeZone).hour;
  const [from, to] = PART_HOURS[part];
  return h >= from && h < to;
}

/**
 * A few free slots to offer, best first: inside the asked window (else the next days), the wanted part
 * of the day first, at most one per day before a second on the same day, earliest first.
 */
export function chooseSlots(slots: readonly FreeSlot[], c: SlotChoice): FreeSlot[] {
  const from = Math.max(c.from ?? 0, c.now + (c.leadMs ?? 3_600_000));
  const to = c.to ?? c.now + (c.horizonMs ?? 14 * 86_400_000);
  const part = c.partOfDay ?? c.preferred;
  const open = slots.filter((s) => s.startsAt >= from && s.startsAt < to).sort((a, b) => a.startsAt - b.startsAt || a.id.localeCompare(b.id));
  // An asked part of the day is a requirement; a profile's preference only an order.
  const fitting = part === undefined ? open : open.filter((s) => inPart(s.startsAt, part, c.timeZone));
  const pool = c.partOfDay !== undefined ? fitting : [...fitting, ...open.filter((s) => !fitting.includes(s))];
  const days = new Set<string>();
  const first: FreeSlot[] = [];
  const rest: FreeSlot[] = [];
  for (const s of pool) {
    const p = localParts(s.startsAt, c.timeZone);
    const day = `${p.year}-${p.month}-${p.day}`;
    (days.has(day) ? rest : first).push(s);
    days.add(day);
  }
  return [...first, ...rest].slice(0, c.limit ?? 3);
}
