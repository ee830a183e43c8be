import { kafkaSecurity } from '../platform/kafka/security.js';
import { parseDuration, type Config } from '../platform/config/config.js';
import { CareloopError } from '../platform/errors.js';
import { UsageError } from './usage.js';
import { chainHeads, checkAnchors, readAnchors } from '../platform/audit/anchors.js';
import { verifyAuditChain } from '../platform/audit/verify.js';
import { loadMasterKey } from '../platform/crypto/master-key.js';
import { createLogger } from '../platform/log.js';
import { Dependencies } from '../platform/service/dependencies.js';

function withDeps<T>(cfg: Config, fn: (deps: Dependencies) => Promise<T>): Promise<T> {
  const deps = new Dependencies(cfg, createLogger({ level: 'warn' }));
  return fn(deps).finally(() => deps.close());
}

export async function auditVerify(cfg: Config, organizationId: string | undefined, anchors = true): Promise<number> {
  return withDeps(cfg, async (deps) => {
    const pool = await deps.postgres();
    const r = await verifyAuditChain(pool, organizationId === undefined ? {} : { organizationId });
    if (!r.ok) {
      console.error(`audit chain BROKEN at row ${String(r.firstBrokenId)} (${r.reason ?? 'unknown'})${r.organizationId ? ` in organisation ${r.organizationId}` : ''}; ${r.rows} rows verified before it`);
      return 1;
    }
    console.log(`audit chain intact: ${r.rows} rows verified${organizationId ? ` for ${organizationId}` : ''}`);
    if (!anchors) return 0;
    const topic = `${cfg.kafka.topicPrefix}audit.anchors`;
    const latest = await readAnchors({ brokers: cfg.kafka.brokers, ...kafkaSecurity(cfg) }, topic, await deps.catalogue());
    const a = await checkAnchors(pool, latest, organizationId);
    if (!a.ok) {
      console.error(`audit chain REWRITTEN: organisation ${String(a.organizationId)} no longer holds anchored row ${String(a.seq)} as anchored (${String(a.reason)})`);
      return 1;
    }
    console.log(`anchors match: ${a.checked} organisation${a.checked === 1 ? '' : 's'} checked against ${topic}`);
    const unanchored = (await chainHeads(pool, Date.now())).filter((h) => (organizationId === undefined || h.organizationId === organizationId) && !latest.has(h.organizationId)).length;
    if (unanchored > 0) console.log(`note: ${unanchored} chain${unanchored === 1 ? ' has' : 's have'} no anchor yet; the scheduler anchors them every audit.anchorInterval`);
    return 0;
  });
}

export async function rotateMaster(cfg: Config, newKeyFile: string | undefined, organizationId?: string): Promise<number> {
  if (newKeyFile === undefined) throw new UsageError('rotate-master needs --new-key-file <file>; see careloop keys --help');
  const next = loadMasterKey({ masterKey: '', masterKeyFile: newKeyFile, env: cfg.env, devKeyFile: newKeyFile });
  return withDeps(cfg, async (deps) => {
    const keyring = await deps.keyring();
    const r = await keyring.rewrapOrganizationKeys(next, organizationId === undefined ? {} : { organizationIds: [organizationId] });
    console.log(`master key rotation: ${r.rewrapped} data keys re-wrapped, ${r.alreadyCurrent} already under the new key, ${r.failed.length} failed`);
    if (r.failed.length > 0) console.error(`failed organisations: ${r.failed.join(', ')}; run the command again`);
    console.log('next: run every process with crypto.masterKeyFile set to the new key, then drop crypto.previousMasterKeyFile');
    return r.failed.length === 0 ? 0 : 1;
  });
}

const LONGEST_RETENTION_MS = 31 * 86_400_000; // the longest topic retention (30 days), and a day

export async function destroyRetired(cfg: Config, organizationId: string | undefined, olderThan: string | undefined, force: boolean): Promise<number> {
  if (organizationId === undefined) throw new UsageError('destroy-retired needs --org <organizationId>; see careloop keys --help');
  const age = parseDuration(olderThan ?? '31d');
  if (age === undefined) throw new UsageError(`--older-than must be a duration such as 31d or 12h; got "${String(olderThan)}"`);
  if (age < LONGEST_RETENTION_MS && !force) {
    throw new CareloopError('VALIDATION_FAILED', `--older-than ${String(olderThan)} is shorter than the longest topic retention (31d): Kafka records sealed under those keys would become unreadable; add --force if that is what you want`);
  }
  return withDeps(cfg, async (deps) => {
    const { vault } = await deps.security();
    const destroyed = await vault.destroyRetiredKeys({ kind: 'system', id: 'careloop-cli' }, organizationId, new Date(Date.now() - age));
    console.log(destroyed.length === 0 ? 'no retired key versions old enough to destroy' : `destroyed ${destroyed.length} retired key version${destroyed.length === 1 ? '' : 's'}: ${destroyed.join(', ')}`);
    return 0;
  });
}

export async function rotateOrganization(cfg: Config, organizationId: string | undefined, resume: boolean): Promise<number> {
  if (organizationId === undefined) throw new UsageError('rotate-org needs --org <organizationId>; see careloop keys --help');
  return withDeps(cfg, async (deps) => {
    const { vault } = await deps.security();
    const r = await vault.rotateOrganizationKey({ kind: 'system', id: 'careloop-cli' }, organizationId, { resume });
    console.log(`organisation key ${resume ? 'rotation resumed' : 'rotated'}: now ${r.keyId}; ${r.patientKeys} patient keys re-wrapped${r.indexKey ? ', and the blind-index key' : ''}`);
    if (resume && r.patientKeys === 0 && !r.indexKey) console.log('rotation complete: every key of the organisation is under the new version');
    else console.log(`next: after crypto.keyCacheTtl (${Math.round(cfg.crypto.keyCacheTtl / 1000)} s) run \`careloop keys rotate-org --org ${organizationId} --resume\` until it re-wraps 0`);
    return 0;
  });
}
