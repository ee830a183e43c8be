import { randomUUID } from 'node:crypto';
import type { Config } from '../../platform/config/config.js';
import type { Dependencies } from '../../platform/service/dependencies.js';
import { OrgIndexKeys } from '../../platform/vault/index-keys.js';
import { VaultBatch } from '../../platform/vault/batch.js';
import { FhirImporter, type ImportOptions, type ImportSignal, type ImporterDeps } from './importer.js';
import { FhirSchema } from './schema.js';

let schema: FhirSchema | undefined;
/** The compiled R4 schema is large and immutable: one per process. */
export function fhirSchema(): FhirSchema {
  schema ??= new FhirSchema();
  return schema;
}

/** The importer's dependencies from a process's clients: pool, keys, batched vault, signals publisher. */
export async function importerDeps(cfg: Config, deps: Dependencies, publishSignals: boolean, now: () => Date): Promise<ImporterDeps> {
  const [pool, keyring, security] = await Promise.all([deps.postgres(), deps.keyring(), deps.security()]);
  const indexKeys = new OrgIndexKeys(pool, keyring, cfg.crypto.keyCacheTtl);
  const publisher = publishSignals ? await deps.publisher() : null;
  return {
    pool, keyring, indexKeys, vault: new VaultBatch(keyring, indexKeys, security.audit), schema: fhirSchema(), now,
    async emit(organizationId: string, signals: readonly ImportSignal[]) {
      if (publisher === null) return;
      const traceId = randomUUID();
      await publisher.publish('patient.signals', signals.map((s) => ({
        key: s.patientId,
        value: { signalId: randomUUID(), traceId, organizationId, patientId: s.patientId, type: s.type, source: 'fhir', occurredAt: s.occurredAt.getTime(), attributes: s.attributes, payload: null },
      })));
    },
  };
}

export function createImporter(d: ImporterDeps, opts: ImportOptions): FhirImporter {
  return new FhirImporter(d, opts);
}
