import { localParts } from '../../platform/time/zones.js';
import { listMedications, QUICK_REPLIES, render, REQUEST_NAMES } from './templates.js';
import type { Action, BuiltInWorkflow, DialogueContext, Language, MessageEvent, Reply } from './types.js';

function reply(templateId: string, lang: Language, vars: Record<string, string>, quick: keyof typeof QUICK_REPLIES = 'none', kind: Reply['kind'] = 'REPLY'): Reply {
  return { templateId, kind, text: render(templateId, lang, vars), quickReplies: QUICK_REPLIES[quick]?.[lang] ?? [] };
}

/** The medications a message is about: those it names, else every active one of the patient. */
function medicationsOf(input: MessageEvent, ctx: DialogueContext): Array<{ id: string; label: string }> {
  const named = new Set(input.entities.filter((e) => e.type === 'medication').map((e) => e.value.toLowerCase()));
  const meds = named.size > 0 ? ctx.medications.filter((m) => named.has(m.name.toLowerCase())) : ctx.medications;
  return meds.map((m) => ({ id: m.id, label: m.dose ? `${m.name} ${m.dose}` : m.name }));
}

function adherence(input: MessageEvent, ctx: DialogueContext, taken: boolean): { replies: Reply[]; actions: Action[] } {
  const meds = medicationsOf(input, ctx);
  const lang = input.language;
  const actions: Action[] = (meds.length > 0 ? meds : [{ id: '', label: '' }]).map((m) => ({
    type: 'record_adherence', attributes: { taken: String(taken), medication_id: m.id },
  }));
  const names = listMedications(meds.map((m) => m.label), lang);
  if (taken) return { replies: [reply(meds.length > 0 ? 'medication_taken' : 'medication_taken_none', lang, { medications: names }, 'none')], actions };
  return { replies: [reply('medication_skipped', lang, { medications: names || (lang === 'es' ? 'medicamento' : 'medication') }, 'skipped')], actions };
}

function snooze(input: MessageEvent, ctx: DialogueContext): { replies: Reply[]; actions: Action[] } {
  const when = input.entities.find((e) => e.type === 'datetime');
  const at = when !== undefined && Number.isFinite(Date.parse(when.value)) && Date.parse(when.value) > input.receivedAt
    ? Date.parse(when.value) : input.receivedAt + 3_600_000;
  // The patient's own clock: "15:00", not a UTC time they would have to convert.
  const local = localParts(at, ctx.timeZone);
  const time = `${String(local.hour).padStart(2, '0')}:${String(local.minute).padStart(2, '0')}`;
  return { replies: [reply('snooze_reminder', input.language, { time })], actions: [{ type: 'set_reminder', attributes: { at: new Date(at).toISOString(), reason: 'snooze' } }] };
}

/**
 * The built-in default workflow: greeting, help, medication confirmation, reminders, STOP/START,
 * human handoff and symptom escalation. Organisations replace it with their own workflows.
 */
export const defaultWorkflow: BuiltInWorkflow = {
  workflowId: 'default',
  version: 1,
  decide(input: MessageEvent, ctx: DialogueContext) {
    const lang = input.language;
    const vars = { org: ctx.organizationName, emergency: ctx.emergencyNumber };
    const one = (r: Reply, actions: Action[] = []) => ({ replies: [r], actions });
    switch (input.intent) {
      case 'greeting': return one(reply('greeting', lang, vars, 'menu'));
      case 'help': return one(reply('help', lang, vars, 'menu'));
      case 'thanks': return one(reply('thanks', lang, vars));
      case 'medication_taken': return adherence(input, ctx, true);
      case 'medication_skipped': return adherence(input, ctx, false);
      case 'snooze_reminder': return snooze(input, ctx);
      case 'human_handoff': return one(reply('handoff', lang, vars), [{ type: 'handoff', attributes: { reason: 'patient_request' } }]);
      case 'side_effect': case 'symptom_report':
        return one(reply('symptom', lang, vars), [{ type: 'escalate', attributes: { priority: 'normal', reason: input.intent } }]);
      case 'refill_request': case 'pharmacy_pickup': case 'book_appointment': case 'cancel_appointment': case 'reschedule_appointment': case 'find_service':
        return one(reply('request_forwarded', lang, { ...vars, request: REQUEST_NAMES[input.intent]?.[lang] ?? (lang === 'es' ? 'su consulta' : 'your question') }), [{ type: 'custom', attributes: { request: input.intent } }]);
      case 'identity_verification': return one(reply('verified', lang, vars));
      case 'opt_in': return one(reply('already_subscribed', lang, vars, 'menu'));
      default: return one(reply('fallback', lang, vars, 'menu'));
    }
  },
};
