import { createHash } from 'node:crypto';
import { loadSecret } from '../config/secrets.js';
import { CareloopError } from '../errors.js';
import { open, seal } from './envelope.js';

/**
 * Wraps and unwraps data keys. The local provider holds the master key in memory; a KMS or a Vault
 * transit backend implements the same three members and never lets the master key out.
 */
export interface MasterKeyProvider {
  /** Identifies the master key, stored beside every key it wrapped (for rotation). */
  readonly id: string;
  wrap(dataKey: Buffer, context: string): Promise<Buffer>;
  unwrap(wrapped: Buffer, context: string): Promise<Buffer>;
}

/** AES-256-GCM key wrapping with a local 32-byte master key. Wrapped form: nonce | ciphertext+tag. */
export class LocalMasterKey implements MasterKeyProvider {
  readonly id: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new CareloopError('CONFIG_INVALID', 'the master key must be 32 bytes (base64 of 32 random bytes)');
    this.id = `local:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
  }

  async wrap(dataKey: Buffer, context: string): Promise<Buffer> {
    const s = seal(this.key, this.id, dataKey, context);
    return Buffer.concat([s.nonce, s.ciphertext]);
  }

  async unwrap(wrapped: Buffer, context: string): Promise<Buffer> {
    return open(this.key, { keyId: this.id, nonce: wrapped.subarray(0, 12), ciphertext: wrapped.subarray(12) }, context);
  }
}

export interface MasterKeySource {
  env: 'development' | 'test' | 'production';
  masterKey: string;
  masterKeyFile: string;
  /** Where development creates a key when none is configured. */
  devKeyFile: string;
}

/** Loads the master key from config; development and test generate a local one on first use. */
export function loadMasterKey(src: MasterKeySource): LocalMasterKey {
  const key = loadSecret({ value: src.masterKey, file: src.masterKeyFile, env: src.env, devFile: src.devKeyFile, key: 'crypto.masterKey', minBytes: 32 });
  if (key.length !== 32) throw new CareloopError('CONFIG_INVALID', `crypto.masterKey must hold base64 of exactly 32 bytes (got ${key.length}); make one with: openssl rand -base64 32`);
  return new LocalMasterKey(key);
}
