import { carrierKeyword, type SmsKeyword } from '../../platform/sms/keywords.js';

/*
 * What a text from a number not yet verified asks for. Nothing personal is said before the number is
 * proven to be the patient's: the only answers are these prompts, which name no one.
 */
export type UnverifiedText =
  | { kind: 'keyword'; keyword: SmsKeyword }
  | { kind: 'birth_date'; birthDate: string }
  | { kind: 'code'; code: string }
  | { kind: 'request_code' }
  | { kind: 'other' };

const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const US = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/; // month first: the organisations are US clinics by default

export function classifyUnverified(text: string): UnverifiedText {
  const keyword = carrierKeyword(text);
  if (keyword !== null) return { kind: 'keyword', keyword };
  const t = text.trim();
  if (/^\d{3}\s?\d{3}$/.test(t)) return { kind: 'code', code: t.replace(/\s/g, '') };
  if (/^(code|c[oó]digo)$/i.test(t)) return { kind: 'request_code' };
  const birthDate = parseBirthDate(t);
  return birthDate === null ? { kind: 'other' } : { kind: 'birth_date', birthDate };
}

/** YYYY-MM-DD or MM/DD/YYYY as an ISO date; null when it is no real calendar date. */
export function parseBirthDate(text: string): string | null {
  const iso = ISO.exec(text);
  const us = US.exec(text);
  const [y, m, d] = iso !== null ? [iso[1], iso[2], iso[3]] : us !== null ? [us[3], us[1], us[2]] : [];
  if (y === undefined || m === undefined || d === undefined) return null;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  if (date.getUTCMonth() !== Number(m) - 1 || date.getUTCDate() !== Number(d)) return null;
  return date.toISOString().slice(0, 10);
}

export type Prompt = 'ask' | 'verified' | 'failed' | 'locked' | 'ambiguous' | 'code_sent';

/** The prompts, with the organisation's name only (it is the sender, not a secret). */
export function promptText(p: Prompt, org: string, detail: { remaining?: number; minutes?: number } = {}): string {
  switch (p) {
    case 'ask': return `${org}: to keep your health information private, please reply with your date of birth (YYYY-MM-DD), or CODE to get a one-time code. Reply STOP to opt out, HELP for help.`;
    case 'verified': return `${org}: thank you, this number is now verified. How can we help? Reply STOP to opt out, HELP for help.`;
    case 'failed': return `${org}: those details do not match our records. ${detail.remaining ?? 0} attempts left. Reply with your date of birth (YYYY-MM-DD) or CODE.`;
    case 'locked': return `${org}: too many attempts. Please try again in ${detail.minutes ?? 15} minutes.`;
    case 'ambiguous': return `${org}: we could not confirm who you are by text. Please call your care team.`;
    case 'code_sent': return `${org}: if this number is on file, a one-time code is on its way. Reply with the 6 digits.`;
  }
}
