import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { loadSecret } from '../config/secrets.js';
import { repoRoot } from '../paths.js';

/** The HMAC secret of patient session tokens. */
export function sessionSecret(cfg: Config): Buffer {
  return loadSecret({
    value: cfg.auth.sessionSecret, file: cfg.auth.sessionSecretFile, env: cfg.env,
    devFile: join(repoRoot(), cfg.stack.dir, 'session.key'), key: 'auth.sessionSecret', minBytes: 32,
  });
}
