import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runImport } from '../ingest/fhir/run.js';
import { createImporter, importerDeps } from '../ingest/fhir/wiring.js';
import type { Config } from '../platform/config/config.js';
import { repoRoot } from '../platform/paths.js';
import type { Dependencies } from '../platform/service/dependencies.js';
import { EhrEndpointStore, type EhrAuth } from '../platform/stores/ehr-endpoints.js';
import { blindDigest, OrgIndexKeys } from '../platform/vault/index-keys.js';
import { FhirHospital, type HospitalOptions, type Resource } from './fhir-hospital.js';
import { seedTenant, type TestTenant } from './product.js';

/*
 * An organisation whose hospital is a local FHIR server: the evaluation directory's Locations and
 * HealthcareServices, one Schedule per service and free Slots, held by the hospital and imported
 * into Careloop through the real FHIR importer (so our ids are ours and theirs are theirs).
 */

export interface HospitalFixture {
  tenant: TestTenant;
  hospital: FhirHospital;
  /** The hospital's Slot ids by the service they are for (the HealthcareService's FHIR id). */
  slotsOf: Record<string, string[]>;
  /** Our id of a resource the hospital knows by `hospitalId`. */
  ourId(type: string, hospitalId: string): Promise<string>;
}

export interface FixtureOptions {
  patients: number;
  /** Slots per service (each HealthcareService of the directory gets a Schedule). */
  slotsPerService: number;
  /** Slots of one service ('hs-cardio' by default) beyond the others, e.g. for a contention test. */
  extraCardiologySlots?: number;
  firstSlotAt: number;
  hospital?: HospitalOptions;
  auth?: EhrAuth;
}

const SCT = 'http://snomed.info/sct';

export async function hospitalFixture(cfg: Config, deps: Dependencies, o: FixtureOptions): Promise<HospitalFixture> {
  const tenant = await seedTenant(cfg, o.patients);
  const hospital = new FhirHospital(o.hospital ?? {});
  await hospital.start();
  const directory = readFileSync(join(repoRoot(), 'platform/services/eval/directory.ndjson'), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Resource);
  const services = directory.filter((r) => r.resourceType === 'HealthcareService');
  const resources: Resource[] = [...directory];
  const slotsOf: Record<string, string[]> = {};
  for (const s of services) {
    const code = ((s['type'] as Array<{ coding: Array<{ code: string }> }>)[0]?.coding[0]?.code) ?? '';
    const schedule = { resourceType: 'Schedule', id: `sch-${s.id ?? ''}`, active: true, actor: [{ reference: `HealthcareService/${s.id ?? ''}` }], serviceType: [{ coding: [{ system: SCT, code }] }] };
    resources.push(schedule);
    const n = o.slotsPerService + (s.id === 'hs-cardio' ? o.extraCardiologySlots ?? 0 : 0);
    slotsOf[s.id ?? ''] = [];
    for (let i = 0; i < n; i++) {
      // Hourly from the first slot, 09:00-16:00, then the next day.
      const day = Math.floor(i / 8);
      const start = o.firstSlotAt + day * 86_400_000 + (i % 8) * 3_600_000;
      const id = `slot-${s.id ?? ''}-${i}`;
      resources.push({ resourceType: 'Slot', id, schedule: { reference: `Schedule/${schedule.id}` }, status: 'free', start: new Date(start).toISOString(), end: new Date(start + 1_800_000).toISOString(), serviceType: [{ coding: [{ system: SCT, code }] }] });
      slotsOf[s.id ?? '']?.push(id);
    }
  }
  for (const r of resources) hospital.seed(r);
  const dir = mkdtempSync(join(tmpdir(), 'hospital-'));
  writeFileSync(join(dir, 'directory.ndjson'), resources.map((r) => JSON.stringify(r)).join('\n'));
  const importer = createImporter(await importerDeps(cfg, deps, false, () => new Date()), { organizationId: tenant.organizationId, actor: { kind: 'system', id: 'hospital-fixture' }, dryRun: false, limits: { maxStringChars: 1_048_576 } });
  const summary = await runImport(importer, [join(dir, 'directory.ndjson')], { limits: { maxResourceBytes: 1_048_576, unitSize: 200 }, concurrency: 1, rejectsFile: join(dir, 'rejects.ndjson') });
  const rejected = Object.values(summary.counts).reduce((n, c) => n + c.rejected, 0);
  if (rejected > 0) throw new Error(`the hospital's directory did not import: ${readFileSync(join(dir, 'rejects.ndjson'), 'utf8').slice(0, 2000)}`);
  const [pool, keyring] = await Promise.all([deps.postgres(), deps.keyring()]);
  await new EhrEndpointStore(pool, keyring).put(tenant.organizationId, { baseUrl: hospital.baseUrl, auth: o.auth ?? { kind: 'none' } });
  const indexKeys = new OrgIndexKeys(pool, keyring, 60_000);
  return {
    tenant, hospital, slotsOf,
    async ourId(type, hospitalId) {
      const digest = blindDigest(await indexKeys.indexKey(tenant.organizationId), 'fhir-source', `${type}/${hospitalId}`);
      const { rows } = await pool.query<{ id: string }>('SELECT id FROM care.resources WHERE organization_id = $1 AND resource_type = $2 AND source_digest = $3', [tenant.organizationId, type, digest]);
      if (rows[0] === undefined) throw new Error(`${type}/${hospitalId} was not imported`);
      return rows[0].id;
    },
  };
}
