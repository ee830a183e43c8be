/*
 * Demographic bands from a vault identity, read once per profile: an age band, a sex (the vault keeps
 * none today, so 'unknown'), a ZIP3 blanked for the small-population areas HIPAA Safe Harbor lists.
 * Raw values never leave this function. Pure.
 */
import type { AgeBand, Demographics } from '../platform/profiles/features.js';
import type { PatientIdentity } from '../platform/vault/types.js';

/** 3-digit ZIP areas under 20,000 people (HHS Safe Harbor guidance, 2000 census): reported as ''. */
const RESTRICTED_ZIP3 = new Set(['036', '059', '063', '102', '203', '556', '692', '790', '821', '823', '830', '831', '878', '879', '884', '890', '893']);

export function ageBand(birthDate: string | undefined, at: number): AgeBand {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate ?? '');
  if (m === null) return 'unknown';
  const now = new Date(at);
  let age = now.getUTCFullYear() - Number(m[1]);
  if (now.getUTCMonth() + 1 < Number(m[2]) || (now.getUTCMonth() + 1 === Number(m[2]) && now.getUTCDate() < Number(m[3]))) age--;
  if (age < 0 || age > 130) return 'unknown';
  if (age < 18) return '0-17';
  if (age < 30) return '18-29';
  if (age < 45) return '30-44';
  if (age < 65) return '45-64';
  if (age < 75) return '65-74';
  return '75+';
}

export function zip3(identity: PatientIdentity): string {
  const a = identity.address;
  if (a === undefined || (a.country !== undefined && !/^(US|USA)$/i.test(a.country))) return '';
  const z = /^(\d{3})\d{2}(-\d{4})?$/.exec(a.postalCode ?? '')?.[1] ?? '';
  return RESTRICTED_ZIP3.has(z) ? '' : z;
}

/** The bands of an identity; `at` is the event time the profile started at (so a replay agrees). */
export function bandsOf(identity: PatientIdentity | null, at: number): Demographics {
  if (identity === null) return { ageBand: 'unknown', sex: 'unknown', zip3: '' };
  return { ageBand: ageBand(identity.birthDate, at), sex: 'unknown', zip3: zip3(identity) };
}
