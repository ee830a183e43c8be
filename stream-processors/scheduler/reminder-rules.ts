/*
 * The delivery rules at the engine's edge: loads one patient's settings and applies the pure rules
 * (platform/reminders/rules.ts) to what was planned; suppressed reminders are counted, not stored.
 */
import type { PlannedReminder } from '../../platform/reminders/plan.js';
import { applyRules } from '../../platform/reminders/rules.js';
import type { ReminderAnswers, RuleDefaults } from '../../platform/stores/reminder-answers.js';

export interface RulesHookOptions extends RuleDefaults {
  onSuppressed?: (reason: string, n: number) => void;
}

/** The engine's `rules` dependency: the patient's rules over their planned reminders. */
export function deliveryRulesHook(answers: ReminderAnswers, opts: RulesHookOptions): (patientId: string, planned: PlannedReminder[]) => Promise<PlannedReminder[]> {
  return async (patientId, planned) => {
    const rules = await answers.deliveryRules(patientId, opts);
    if (rules === null) return planned;
    // What already went out on the planned days counts towards their cap (a local day starts at most 14 h before its UTC day).
    const alreadySent = planned.length === 0 ? [] : await answers.sentSince(patientId, Math.min(...planned.map((r) => r.dueAt)) - 2 * 86_400_000);
    const result = applyRules(planned, { ...rules, alreadySent });
    const byReason = new Map<string, number>();
    for (const s of result.suppressed) byReason.set(s.reason, (byReason.get(s.reason) ?? 0) + 1);
    for (const [reason, n] of byReason) opts.onSuppressed?.(reason, n);
    return result.send.map(({ plannedAt: _plannedAt, members: _members, ...r }) => r);
  };
}
