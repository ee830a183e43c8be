import { everyRound } from '../platform/service/periodic.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isCareloopError } from '../platform/errors.js';
import { repoRoot } from '../platform/paths.js';
import type { ProfileTopic } from '../platform/profiles/features.js';
import { profileKeyPrefix } from '../platform/profiles/store.js';
import { ProfileWriter } from '../platform/profiles/writer.js';
import { startGroupConsumer } from '../platform/service/group-consumer.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../platform/service/types.js';
import { CoalescingWriter } from '../platform/storage/coalescing-writer.js';
import { PatientDirectory } from '../platform/stores/patient-directory.js';
import type { Vault } from '../platform/vault/vault.js';
import { applyBatch, type PatientEvent, type PatientLookups } from './apply.js';
import { bandsOf } from './demographics.js';
import { toProfileEvent } from './events.js';
import type { RiskModel } from './risk.js';
import { scoreAll } from './score-job.js';

const ACTOR = { kind: 'service', id: 'profiling', service: 'profiling' } as const;

export function loadRiskModel(): RiskModel {
  return JSON.parse(readFileSync(join(repoRoot(), 'profiling/risk-model.json'), 'utf8')) as RiskModel;
}

/** Time zones from the directory (cached), demographic bands from the vault (audited, once per profile). */
export function patientLookups(directory: PatientDirectory, vault: Vault): PatientLookups {
  const zoneOf = async (org: string, id: string): Promise<string> => {
    try {
      return await directory.timeZone(org, id);
    } catch (err) {
      if (isCareloopError(err) && err.code === 'NOT_FOUND') return 'UTC'; // erased or not in the system of record
      throw err;
    }
  };
  return {
    zones: async (org, ids) => new Map(await Promise.all(ids.map(async (id) => [id, await zoneOf(org, id)] as const))),
    demographics: async (org, id, at) => {
      try {
        return bandsOf(await vault.getIdentity(ACTOR, org, id, 'operations'), at);
      } catch (err) {
        if (isCareloopError(err) && err.code === 'NOT_FOUND') return bandsOf(null, at);
        throw err;
      }
    },
  };
}

/**
 * Keeps every patient's behavioural profile (features updated from the data-flow topics within a
 * batch) and, once a day, their segment and adherence risk. The only writer of the profile store.
 */
export const profiling: ServiceDefinition = {
  name: 'profiling',
  description: 'behavioural profiles from the data flow; daily segments and adherence risk',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const { deps, cfg } = ctx;
    const [redis, pool, security] = await Promise.all([deps.redis(), deps.postgres(), deps.security()]);
    const writer = new ProfileWriter(redis, profileKeyPrefix(cfg));
    const lookups = patientLookups(new PatientDirectory(pool, await deps.keyring()), security.vault);
    const batches = new CoalescingWriter<PatientEvent>(async (events) => { await applyBatch(writer, lookups, events); }, 2000);
    const consumer = await startGroupConsumer(ctx, 'profiling', {
      process: async (value, rc) => {
        const mapped = toProfileEvent(rc.topic, value);
        if (mapped !== null) await batches.add({ ...mapped, source: { topic: rc.topic as ProfileTopic, offset: Number(rc.record.offset) } });
      },
    });
    const model = loadRiskModel();
    const timer = everyRound(cfg.profiling.scoreCheckInterval, async () => {
      const day = Math.floor(ctx.now() / 86_400_000);
      // One instance scores a given day; the others skip it.
      if (!(await writer.claimScoringDay(day))) return;
      const r = await scoreAll(pool, writer, model, ctx.now());
      ctx.metrics.taskLastSuccess.set({ task: 'profile_scoring' }, ctx.now() / 1000);
      ctx.log.info({ organizations: r.organizations, scored: r.scored }, 'segments and risk recomputed');
    }, (err) => {
      ctx.metrics.taskFailures.inc({ task: 'profile_scoring' });
      ctx.log.warn({ code: err.code }, 'profile scoring failed; retrying next round');
    });
    return {
      name: 'profiling', endpoints: [], checks: deps.checks(['kafka', 'registry', 'postgres', 'redis']),
      stop: async () => { clearInterval(timer); await consumer.stop(); },
    };
  },
};
