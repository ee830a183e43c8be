import { parseOrgKeyId, type Keyring } from '../crypto/keyring.js';
import { open, seal, type Sealed } from '../crypto/envelope.js';
import { CareloopError } from '../errors.js';

/** Binds a field's ciphertext to its organisation, patient and field: a copied cell does not open. */
export function fieldAad(organizationId: string, patientId: string, field: string): string {
  return `careloop:vault:${organizationId}:${patientId}:${field}`;
}

export function patientKeyAad(organizationId: string, patientId: string): string {
  return `careloop:patient-key:${organizationId}:${patientId}`;
}

export function indexKeyAad(organizationId: string): string {
  return `careloop:index-key:${organizationId}`;
}

/** Stored form of a sealed value: nonce (12 bytes) || ciphertext+tag; the key is known from context. */
export function pack(s: Sealed): Buffer {
  return Buffer.concat([s.nonce, s.ciphertext]);
}

export function unpack(stored: Buffer, keyId: string): Sealed {
  return { keyId, nonce: stored.subarray(0, 12), ciphertext: stored.subarray(12) };
}

export function sealField(key: Buffer, organizationId: string, patientId: string, field: string, value: string): Buffer {
  return pack(seal(key, 'patient', value, fieldAad(organizationId, patientId, field)));
}

export function openField(key: Buffer, organizationId: string, patientId: string, field: string, stored: Buffer): string {
  return open(key, unpack(stored, 'patient'), fieldAad(organizationId, patientId, field)).toString('utf8');
}

/** Seals a key under a given organisation data key (its id and the unwrapped key). */
export function sealUnder(orgKey: Buffer, keyId: string, key: Buffer, aad: string): Buffer {
  return pack(seal(orgKey, keyId, key, aad));
}

/** Seals a key (a patient key, an index key) under the organisation's current data key. */
export async function wrapUnderOrgKey(keyring: Keyring, organizationId: string, key: Buffer, aad: string): Promise<{ wrapped: Buffer; keyId: string }> {
  const { keyId, key: orgKey } = await keyring.activeKey(organizationId);
  return { wrapped: sealUnder(orgKey, keyId, key, aad), keyId };
}

export async function unwrapUnderOrgKey(keyring: Keyring, organizationId: string, wrapped: Buffer, keyId: string, aad: string): Promise<Buffer> {
  // A key row pointing at another organisation's key is corruption or tampering, never valid.
  if (parseOrgKeyId(keyId).organizationId !== organizationId) throw new CareloopError('RECORD_INVALID', 'wrapped key names another organisation');
  return open(await keyring.keyById(keyId), unpack(wrapped, keyId), aad);
}
