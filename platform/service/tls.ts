import { readFileSync } from 'node:fs';
import type { Config } from '../config/config.js';
import { CareloopError } from '../errors.js';

/** The https options of the public listeners (API, gateway), or null when TLS is off. */
export function listenerTls(cfg: Config): { cert: Buffer; key: Buffer } | null {
  const { tlsCertFile, tlsKeyFile } = cfg.services;
  if (tlsCertFile === '' && tlsKeyFile === '') return null;
  if (tlsCertFile === '' || tlsKeyFile === '') throw new CareloopError('CONFIG_INVALID', 'services.tlsCertFile and services.tlsKeyFile go together: set both or neither');
  try {
    return { cert: readFileSync(tlsCertFile), key: readFileSync(tlsKeyFile) };
  } catch (err) {
    throw new CareloopError('CONFIG_INVALID', `cannot read the TLS certificate or key: ${(err as Error).message}`);
  }
}

/** The CA bundle of a client connection, when one is configured (else the system CAs apply). */
export function caBundle(file: string): Buffer | undefined {
  if (file === '') return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new CareloopError('CONFIG_INVALID', `cannot read CA file ${file}: ${(err as Error).message}`);
  }
}
