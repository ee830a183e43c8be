import type { EmergencyCategory, EmergencyDetector } from '../../platform/safety/emergency.js';
import type { DosingQuestion } from '../../platform/safety/dosing.js';
import { timePreference } from '../../platform/reminders/answers.js';
import { QUICK_REPLIES, render } from './templates.js';
import type { Conversation, DialogueContext, Language, MessageEvent, Outcome, Reply } from './types.js';

/** The clinical safety checks the turn runs; passed in, so tests and the service use the same ones. */
export interface SafetyKit {
  emergency: EmergencyDetector;
  dosingQuestion(text: string, medications: readonly string[]): DosingQuestion | null;
  /** The phrase of a reply that tells the patient to change a dose, or null. */
  dosingInstruction(text: string): string | null;
}

/** What the safety layer decided: outcomes to send and how the conversation changes, or null to go on. */
export interface SafetyDecision { outcomes: Outcome[]; optedOut: boolean }

function varsOf(ctx: DialogueContext): Record<string, string> {
  return {
    org: ctx.organizationName, emergency: ctx.emergencyNumber, crisis: ctx.crisisNumber, poison: ctx.poisonControlNumber,
    contact: ctx.careTeamContact === '' ? '' : ` (${ctx.careTeamContact})`,
  };
}

function templateFor(category: EmergencyCategory | null): string {
  if (category === 'self_harm') return 'emergency_self_harm';
  if (category === 'poisoning') return 'emergency_poisoning';
  return 'emergency';
}

function say(templateId: string, kind: Reply['kind'], lang: Language, vars: Record<string, string>, quick: string[] = []): Outcome {
  return { kind: 'reply', reply: { templateId, kind, text: render(templateId, lang, vars), quickReplies: quick } };
}

/** The safety reply for an emergency (the right number for its category) and the urgent escalation. */
export function emergencyOutcomes(category: EmergencyCategory | null, lang: Language, ctx: DialogueContext): Outcome[] {
  const attributes: Record<string, string> = { priority: 'urgent', reason: 'emergency' };
  if (category !== null) attributes['category'] = category;
  return [say(templateFor(category), 'SAFETY', lang, varsOf(ctx)), { kind: 'action', action: { type: 'escalate', attributes } }];
}

/** The medication a dosing question is about: the one named, else the patient's only one. */
function prescriptionFor(event: MessageEvent, ctx: DialogueContext, asked: string | null): { name: string; instructions: string } | null {
  const named = (event.entities.find((e) => e.type === 'medication')?.value ?? asked ?? undefined)?.toLowerCase();
  const meds = named === undefined ? ctx.medications : ctx.medications.filter((m) => m.name.toLowerCase() === named);
  const med = meds.length === 1 ? meds[0] : undefined;
  if (med === undefined || med.instructions.trim() === '') return null;
  return { name: med.dose === '' ? med.name : `${med.name} ${med.dose}`, instructions: med.instructions.trim() };
}

/**
 * The answer to a question about changing a dose: what the prescription says when we know it,
 * otherwise where to ask. Never advice of our own.
 */
export function dosingAnswer(event: MessageEvent, ctx: DialogueContext, asked: string | null = null): Reply {
  const rx = prescriptionFor(event, ctx, asked);
  const vars = { ...varsOf(ctx), medication: rx?.name ?? '', instructions: rx?.instructions ?? '' };
  const templateId = rx === null ? 'dosing_ask' : 'dosing_prescription';
  return { templateId, kind: 'SAFETY', text: render(templateId, event.language, vars), quickReplies: QUICK_REPLIES['dosing']?.[event.language] ?? [] };
}

/**
 * Safety comes first and does not depend on any workflow: an emergency always gets the safety reply
 * and an urgent escalation (opted out or not); STOP is honoured at once and silences everything but
 * START and emergencies; a question about changing a dose gets the prescription or a pharmacist.
 */
export function safetyLayer(event: MessageEvent, conv: Conversation, ctx: DialogueContext, kit: SafetyKit): SafetyDecision | null {
  const lang = event.language;
  const finding = kit.emergency.assess(event.text);
  if (finding !== null || event.intent === 'emergency') {
    return { outcomes: emergencyOutcomes(finding?.category ?? null, lang, ctx), optedOut: conv.optedOut };
  }
  // A question about a dose is never an opt-out, whatever the classifier guessed ("¿debería bajarle
  // la dosis?" is not BAJA); the keyword STOP is no question, so it still opts out below.
  const dosing = conv.optedOut ? null : kit.dosingQuestion(event.text, ctx.medications.map((m) => m.name));
  if (dosing !== null) {
    return {
      outcomes: [{ kind: 'reply', reply: dosingAnswer(event, ctx, dosing.medication) }, { kind: 'action', action: { type: 'escalate', attributes: { priority: 'normal', reason: 'dosing_question', question: dosing.kind } } }],
      optedOut: false,
    };
  }
  const vars = varsOf(ctx);
  // Only the keyword (STOP, BAJA… as the whole message, confidence 1) unsubscribes at once; a sentence
  // the classifier reads as opting out is confirmed first, so a misread never silences a patient.
  // "Stop messages at night" asks for quiet hours, not silence: they are set, and STOP stays one word away.
  const quiet = event.intent === 'opt_out' && event.confidence < 1 && !conv.optedOut ? timePreference(event.text) : null;
  if (quiet !== null) {
    return {
      outcomes: [say('quiet_hours_set', 'SYSTEM', lang, { ...vars, start: quiet.start, end: quiet.end }, QUICK_REPLIES['opt_out_confirm']?.[lang] ?? []),
        { kind: 'action', action: { type: 'set_quiet_hours', attributes: { start: quiet.start, end: quiet.end } } }],
      optedOut: false,
    };
  }
  // "Stop the program messages": only the programmes' consent is withdrawn (campaigns stop sending);
  // the channel, reminders and the chat go on.
  if (event.intent === 'program_opt_out' && !conv.optedOut) {
    return { outcomes: [say('program_opt_out', 'SYSTEM', lang, vars), { kind: 'action', action: { type: 'withdraw_consent', attributes: { scope: 'programs' } } }], optedOut: false };
  }
  if (event.intent === 'opt_out' && event.confidence < 1 && !conv.optedOut) {
    return { outcomes: [say('opt_out_confirm', 'SYSTEM', lang, vars, QUICK_REPLIES['opt_out_confirm']?.[lang] ?? [])], optedOut: false };
  }
  if (event.intent === 'opt_out') {
    return { outcomes: [say('opt_out', 'SYSTEM', lang, vars), { kind: 'action', action: { type: 'opt_out', attributes: { channel: event.channel.toLowerCase() } } }], optedOut: true };
  }
  // START (or YES, an SMS opt-in keyword) re-subscribes only a patient who opted out; otherwise it is
  // an ordinary message, often the answer to a yes/no question.
  if (event.intent === 'opt_in' && conv.optedOut) {
    return {
      outcomes: [say('opt_in', 'SYSTEM', lang, vars, QUICK_REPLIES['menu']?.[lang] ?? []), { kind: 'action', action: { type: 'opt_in', attributes: { channel: event.channel.toLowerCase() } } }],
      optedOut: false,
    };
  }
  if (conv.optedOut) return { outcomes: [], optedOut: true };
  return null;
}

/**
 * The last check of every turn: a reply that would tell the patient to change a dose (a workflow's
 * text, whatever the checker said when it was published) is replaced by the dosing answer, and the
 * replacement is reported as a problem.
 */
export function guardDosing(outcomes: readonly Outcome[], event: MessageEvent | null, lang: Language, ctx: DialogueContext, kit: SafetyKit): Outcome[] {
  return outcomes.flatMap((o): Outcome[] => {
    // Our own dosing answers quote the prescription itself, which is what the patient must follow.
    if (o.kind !== 'reply' || o.reply.templateId.startsWith('dosing_')) return [o];
    const phrase = kit.dosingInstruction(o.reply.text);
    if (phrase === null) return [o];
    const safe: Reply = event === null
      ? { templateId: 'dosing_ask', kind: 'SAFETY', text: render('dosing_ask', lang, varsOf(ctx)), quickReplies: [] }
      : dosingAnswer(event, ctx);
    return [
      { kind: 'reply', reply: safe },
      { kind: 'problem', problem: {
        code: 'DOSING_ADVICE_BLOCKED', message: `reply ${o.reply.templateId} gave dosing instructions and was replaced by the dosing answer`,
        workflowId: o.origin?.workflowId ?? null, workflowVersion: o.origin?.workflowVersion ?? null, step: null, line: null,
      } },
    ];
  });
}
