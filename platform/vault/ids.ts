import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniform random base62 (rejection sampling: 248 = 62 × 4, so bytes ≥ 248 are redrawn). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += BASE62[b % 62];
    }
  }
  return out;
}

/** A pseudonymous patient id: 22 base62 characters (~131 random bits), never derived from PHI. */
export function newPatientId(): string {
  return `pt_${randomBase62(22)}`;
}

const PATIENT_ID = /^pt_[0-9A-Za-z]{22}$/;

export function isPatientId(value: string): boolean {
  return PATIENT_ID.test(value);
}
