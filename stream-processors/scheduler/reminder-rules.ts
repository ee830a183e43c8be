/*
 * The delivery rules at the engine's edge: loads one patient's settings, moves the movable reminders
 * to their best hours when the organisation turned send-time optimisation on (the profile read
 * through the shared store), then applies the pure rules (platform/reminders/rules.ts) to what was
 * planned; suppressed reminders are counted, not stored.
 */
import { chooseReminderTimes, isMovable } from '../../platform/personalisation/reminder-times.js';
import { PROFILE_CHANNELS } from '../../platform/profiles/features.js';
import type { ProfileStore } from '../../platform/profiles/store.js';
import type { PlannedReminder } from '../../platform/reminders/plan.js';
import { applyRules, effectiveQuietHours } from '../../platform/reminders/rules.js';
import type { ReminderAnswers, RuleDefaults } from '../../platform/stores/reminder-answers.js';

export interface RulesHookOptions extends RuleDefaults {
  onSuppressed?: (reason: string, n: number) => void;
  /** The profile store (read only), for send-time optimisation; absent: reminders keep their planned times. */
  profiles?: Pick<ProfileStore, 'get' | 'segments' | 'segmentHours'>;
  /** Movable reminders moved or kept by send-time optimisation (n of each), or a failed profile read (planned times kept). */
  onSendTime?: (outcome: 'moved' | 'kept' | 'failed', n: number) => void;
}

export type RulesHook = (patientId: string, planned: PlannedReminder[], now?: number) => Promise<PlannedReminder[]>;

/** The engine's `rules` dependency: the patient's rules over their planned reminders. */
export function deliveryRulesHook(answers: ReminderAnswers, opts: RulesHookOptions): RulesHook {
  return async (patientId, planned, now) => {
    const rules = await answers.deliveryRules(patientId, opts);
    if (rules === null) return planned;
    let timed = planned;
    if (opts.profiles !== undefined && rules.sendTime.enabled && !rules.optedOut && planned.some(isMovable)) {
      try {
        const [profile, table] = await Promise.all([opts.profiles.get(patientId), opts.profiles.segments(rules.organizationId)]);
        const pooled = opts.profiles.segmentHours(table, profile?.scores.segment ?? 0);
        const result = chooseReminderTimes(planned, {
          settings: rules.sendTime, timeZone: rules.timeZone, quiet: effectiveQuietHours(rules), doseWindowMs: rules.doseWindowMs, now: now ?? -Infinity,
          patient: profile === null ? [] : PROFILE_CHANNELS.map((c) => profile.channels[c]), segment: pooled === null ? [] : [pooled],
        });
        timed = result.planned;
        opts.onSendTime?.('moved', result.moved.length);
        opts.onSendTime?.('kept', planned.filter(isMovable).length - result.moved.length);
      } catch {
        // A profile store that fails costs the optimisation, never the reminder.
        opts.onSendTime?.('failed', 1);
      }
    }
    // What already went out on the planned days counts towards their cap (a local day starts at most 14 h before its UTC day).
    const alreadySent = timed.length === 0 ? [] : await answers.sentSince(patientId, Math.min(...timed.map((r) => r.dueAt)) - 2 * 86_400_000);
    const result = applyRules(timed, { ...rules, alreadySent });
    const byReason = new Map<string, number>();
    for (const s of result.suppressed) byReason.set(s.reason, (byReason.get(s.reason) ?? 0) + 1);
    for (const [reason, n] of byReason) opts.onSuppressed?.(reason, n);
    return result.send.map(({ plannedAt: _plannedAt, members: _members, ...r }) => r);
  };
}
