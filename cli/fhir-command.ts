import { resolve } from 'node:path';
import type { Config } from '../platform/config/config.js';
import { CareloopError } from '../platform/errors.js';
import { createLogger } from '../platform/log.js';
import { Dependencies } from '../platform/service/dependencies.js';
import { createImporter, importerDeps } from '../ingest/fhir/wiring.js';
import { progressReporter } from '../ingest/fhir/progress.js';
import { expandInputs, runImport, type RunSummary } from '../ingest/fhir/run.js';

export const IMPORT_HELP = `Usage: careloop import fhir <file|dir>... --org <organizationId> [options]

Imports FHIR R4 data into an organisation: transaction or batch Bundles (.json, one Bundle or one
resource a file) and NDJSON (.ndjson, one resource a line, as Bulk Data $export writes them).
Directories are walked. Files are streamed (memory stays bounded whatever their size) and imported
in dependency order (Organization, Location, Practitioner… Patient… MedicationRequest…).

Every resource is checked first: the official FHIR R4 JSON schema, required elements, the codes we
act on (statuses, gender, timing units), references (urn:uuid fullUrls, Type/id, Type?identifier=).
A bad resource is rejected alone, with an OperationOutcome written to the rejects file; the rest
goes in. Resources are matched by identifier (patients through the vault's blind index) and by
their source id, so a second import updates or reports unchanged instead of duplicating.
Imported: Patient, MedicationRequest, MedicationDispense, Appointment, Slot, Schedule,
HealthcareService, Location, Practitioner, PractitionerRole, Organization, RelatedPerson, Consent.
Other R4 types (Encounter, Observation, …) are counted as ignored.

Options:
  --org <id>            the organisation to import into (required; it must exist)
  --dry-run             check everything, write nothing (no signals either)
  --rejects <file>      where rejected resources' OperationOutcomes go (default ./fhir-rejects.ndjson)
  --concurrency <n>     units (Bundles, or runs of NDJSON lines) written at once (default 4)
  --unit-size <n>       NDJSON lines per unit and transaction (default 500)
  --no-signals          do not publish patient.signals records (a backfill nobody should act on)
  --json                print the summary as JSON`;

function intFlag(v: string | true | undefined, name: string, d: number, max: number): number {
  if (v === undefined) return d;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new CareloopError('VALIDATION_FAILED', `--${name} takes a whole number from 1 to ${max}`);
  return n;
}

export function summaryTable(s: RunSummary): string {
  const types = Object.keys(s.counts).sort();
  const head = `${'resource type'.padEnd(22)}${['created', 'updated', 'unchanged', 'rejected', 'ignored'].map((h) => h.padStart(11)).join('')}`;
  const rows = types.map((t) => {
    const c = s.counts[t] ?? { created: 0, updated: 0, unchanged: 0, rejected: 0, ignored: 0 };
    return `${t.padEnd(22)}${[c.created, c.updated, c.unchanged, c.rejected, c.ignored].map((n) => String(n).padStart(11)).join('')}`;
  });
  const rate = s.elapsedMs > 0 ? Math.round((s.resources * 1000) / s.elapsedMs) : 0;
  return [head, ...rows, '',
    `${s.resources} resources from ${s.files} files in ${(s.elapsedMs / 1000).toFixed(1)} s (${rate} resources/s)`,
    s.rejectsFile === null ? 'no rejects' : `${s.rejected} rejected: OperationOutcomes in ${s.rejectsFile}`].join('\n');
}

export async function importFhirCommand(cfg: Config, inputs: readonly string[], flags: Map<string, string | true>): Promise<number> {
  const org = flags.get('org');
  if (typeof org !== 'string') throw new CareloopError('VALIDATION_FAILED', 'import fhir needs --org <organizationId>; see careloop import fhir --help');
  if (inputs.length === 0) throw new CareloopError('VALIDATION_FAILED', 'import fhir needs at least one file or directory');
  const files = await expandInputs(inputs);
  const deps = new Dependencies(cfg, createLogger({ level: 'warn' }));
  try {
    const pool = await deps.postgres();
    if ((await pool.query('SELECT 1 FROM organizations WHERE id = $1', [org])).rowCount === 0) throw new CareloopError('NOT_FOUND', `organisation ${org} does not exist`);
    const dryRun = flags.has('dry-run');
    const d = await importerDeps(cfg, deps, !dryRun && !flags.has('no-signals'), () => new Date());
    const importer = createImporter(d, { organizationId: org, actor: { kind: 'system', id: 'fhir-import', service: 'fhir-import' }, dryRun, limits: { maxStringChars: 1_048_576 } });
    const summary = await runImport(importer, files, {
      limits: { maxResourceBytes: 8 * 1_048_576, unitSize: intFlag(flags.get('unit-size'), 'unit-size', 500, 10_000) },
      concurrency: intFlag(flags.get('concurrency'), 'concurrency', 4, 64),
      rejectsFile: resolve(typeof flags.get('rejects') === 'string' ? flags.get('rejects') as string : 'fhir-rejects.ndjson'),
      onProgress: progressReporter(process.stderr),
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    if (flags.has('json')) console.log(JSON.stringify({ ...summary, dryRun }, null, 2));
    else console.log(`${dryRun ? 'dry run: nothing written\n' : ''}${summaryTable(summary)}`);
    return summary.rejected > 0 ? 4 : 0;
  } finally {
    await deps.close();
  }
}
