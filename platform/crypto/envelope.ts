import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CareloopError } from '../errors.js';

/** The wire form of an encrypted field (the Avro record careloop.EncryptedText). */
export interface Sealed {
  keyId: string;
  nonce: Buffer;
  /** Ciphertext followed by the 16-byte GCM tag. */
  ciphertext: Buffer;
}

const TAG_BYTES = 16;

/**
 * AES-256-GCM with a fresh 96-bit nonce. The associated data binds the ciphertext to its owner
 * (organisation and patient), so a field copied onto another patient's record does not decrypt.
 */
export function seal(key: Buffer, keyId: string, plaintext: Buffer | string, aad: string): Sealed {
  if (key.length !== 32) throw new CareloopError('INTERNAL', 'AES-256-GCM needs a 32-byte key');
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final()]);
  return { keyId, nonce, ciphertext: Buffer.concat([body, cipher.getAuthTag()]) };
}

export function open(key: Buffer, sealed: Sealed, aad: string): Buffer {
  if (sealed.ciphertext.length < TAG_BYTES || sealed.nonce.length !== 12) {
    throw new CareloopError('RECORD_INVALID', 'encrypted field is malformed');
  }
  const body = sealed.ciphertext.subarray(0, sealed.ciphertext.length - TAG_BYTES);
  const tag = sealed.ciphertext.subarray(sealed.ciphertext.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new CareloopError('RECORD_INVALID', `encrypted field does not authenticate under key ${sealed.keyId}`);
  }
}
