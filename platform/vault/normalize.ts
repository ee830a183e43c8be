import { CareloopError } from '../errors.js';
import type { PatientIdentifier, PatientIdentity, PostalAddress } from './types.js';

function invalid(field: string): never {
  // Names the field only: the rejected value is PHI and must not reach logs or clients.
  throw new CareloopError('VALIDATION_FAILED', `${field} is not valid`, { details: { field } });
}

/**
 * E.164: "+" and 8–15 digits. Separators are dropped, "00" becomes "+", and a national number
 * without a prefix takes the organisation's calling code (10 digits for NANP's "1").
 */
export function normalizePhone(raw: string, defaultCallingCode = '1'): string {
  let s = raw.trim().replace(/[\s().-]/g, '');
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  if (!s.startsWith('+')) {
    if (defaultCallingCode === '1' && s.length === 11 && s.startsWith('1')) s = s.slice(1);
    s = `+${defaultCallingCode}${s.replace(/^0/, '')}`;
  }
  if (!/^\+[1-9]\d{7,14}$/.test(s)) invalid('phone');
  return s;
}

export function normalizeEmail(raw: string): string {
  const s = raw.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s) || s.length > 254) invalid('email');
  return s;
}

/** ISO YYYY-MM-DD of a real calendar day (not in the future is the caller's rule, not ours). */
export function normalizeBirthDate(raw: string): string {
  const s = raw.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m === null) invalid('birthDate');
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (d.toISOString().slice(0, 10) !== s) invalid('birthDate');
  return s;
}

/** MRNs compare case- and space-insensitively: EHR exports differ in both. */
export function normalizeMrn(raw: string): string {
  const s = raw.trim().replace(/\s+/g, '').toUpperCase();
  if (s === '' || s.length > 64) invalid('mrn');
  return s;
}

export function normalizeIdentifier(id: PatientIdentifier): PatientIdentifier {
  const system = id.system.trim();
  const value = id.value.trim();
  if (system === '' || value === '' || system.length > 256 || value.length > 256) invalid('identifiers');
  return { system, value };
}

function text(raw: string, field: string): string {
  const s = raw.trim();
  if (s === '' || s.length > 256) invalid(field);
  return s;
}

function address(a: PostalAddress): PostalAddress {
  const out: PostalAddress = { line: a.line.map((l) => text(l, 'address')) };
  for (const k of ['city', 'state', 'postalCode', 'country'] as const) {
    const v = a[k];
    if (v !== undefined) out[k] = text(v, 'address');
  }
  const pos = a.position;
  if (pos !== undefined) {
    if (!Number.isFinite(pos.lat) || !Number.isFinite(pos.lon) || Math.abs(pos.lat) > 90 || Math.abs(pos.lon) > 180) invalid('address');
    out.position = { lat: pos.lat, lon: pos.lon };
  }
  return out;
}

/** The identity as stored: every present field validated and in its canonical form. */
export function normalizeIdentity(identity: PatientIdentity, defaultCallingCode?: string): PatientIdentity {
  const out: PatientIdentity = {};
  if (identity.givenName !== undefined) out.givenName = text(identity.givenName, 'givenName');
  if (identity.familyName !== undefined) out.familyName = text(identity.familyName, 'familyName');
  if (identity.phone !== undefined) out.phone = normalizePhone(identity.phone, defaultCallingCode);
  if (identity.email !== undefined) out.email = normalizeEmail(identity.email);
  if (identity.birthDate !== undefined) out.birthDate = normalizeBirthDate(identity.birthDate);
  if (identity.address !== undefined) out.address = address(identity.address);
  if (identity.mrn !== undefined) out.mrn = normalizeMrn(identity.mrn);
  if (identity.identifiers !== undefined) out.identifiers = identity.identifiers.map(normalizeIdentifier);
  return out;
}
