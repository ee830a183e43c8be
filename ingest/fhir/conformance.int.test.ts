import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../../platform/paths.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import { silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import type { OperationOutcome } from './outcome.js';
import { expandInputs, runImport, type RunSummary } from './run.js';
import { IMPORTED_TYPES } from './rules.js';
import { createImporter, importerDeps } from './wiring.js';

/*
 * Conformance: every official R4 example (hl7.fhir.r4.examples@4.0.1) of a type we import either
 * imports or is rejected for a limit of ours that KNOWN_LIMITS names; a second import of the same
 * files changes nothing. Below, regressions of the importer bugs these examples found.
 */

const cfg = testConfig();
const deps = new Dependencies(cfg, silentLogger);
const out = mkdtempSync(join(tmpdir(), 'fhir-conformance-'));
const examples = join(repoRoot(), 'node_modules', 'hl7.fhir.r4.examples');
let pool: PgPool;

/** The limits of ours a rejected example may name, each recognised by its issue. */
const KNOWN_LIMITS: ReadonlyArray<{ name: string; matches: (i: OperationOutcome['issue'][number]) => boolean }> = [
  { name: 'dangling reference (the target is neither in the import nor imported before)', matches: (i) => i.code === 'not-found' && /dangling reference/.test(i.diagnostics) },
  { name: 'one patient per identifier (two Patients share one)', matches: (i) => i.code === 'duplicate' && /one patient per identifier/.test(i.diagnostics) },
];

async function newOrg(name: string): Promise<string> {
  const org = uniqueId('org_');
  await pool.query('INSERT INTO organizations (id, slug, display_name) VALUES ($1, $1, $2)', [org, name]);
  return org;
}

async function importFiles(org: string, files: readonly string[]): Promise<RunSummary & { outcomes: OperationOutcome[] }> {
  const importer = createImporter(await importerDeps(cfg, deps, false, () => new Date()), { organizationId: org, actor: { kind: 'system', id: 'fhir-conformance-test' }, dryRun: false, limits: { maxStringChars: 1_048_576 } });
  const s = await runImport(importer, await expandInputs(files), { limits: { maxResourceBytes: 8 << 20, unitSize: 200 }, concurrency: 2, rejectsFile: join(out, `rejects-${uniqueId()}.ndjson`) });
  const outcomes = s.rejectsFile === null ? [] : readFileSync(s.rejectsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as OperationOutcome);
  return { ...s, outcomes };
}

const fileOf = (o: OperationOutcome): string => basename(o.extension?.find((e) => e.url.endsWith('#file'))?.valueString ?? '');
const sum = (s: RunSummary, change: 'created' | 'updated' | 'unchanged' | 'rejected'): number => Object.values(s.counts).reduce((a, c) => a + c[change], 0);

before(async () => { pool = await deps.postgres(); });
after(async () => { await deps.close(); });

describe('the official FHIR R4 examples', () => {
  test('every example of an imported type imports or is rejected for a named limit of ours; a second import changes nothing', async (t) => {
    const files = readdirSync(examples).filter((f) => IMPORTED_TYPES.some((type) => f.startsWith(`${type}-`))).map((f) => join(examples, f));
    assert.ok(files.length > 100, `${files.length} examples`);
    const org = await newOrg('FHIR Examples Clinic');
    const first = await importFiles(org, files);
    assert.equal(first.resources, files.length, 'every file read, one resource each');
    const unexplained = first.outcomes.filter((o) => !o.issue.every((i) => KNOWN_LIMITS.some((k) => k.matches(i))));
    assert.deepEqual(unexplained.map((o) => `${fileOf(o)}: ${o.issue.map((i) => `${i.code} ${i.diagnostics}`).join('; ')}`), [], 'no unexplained rejection');
    for (const type of IMPORTED_TYPES) {
      const ofType = files.filter((f) => basename(f).startsWith(`${type}-`)).length;
      const c = first.counts[type] ?? { created: 0, updated: 0, unchanged: 0, rejected: 0, ignored: 0 };
      assert.equal(c.created + c.updated + c.rejected, ofType, `${type}: every example accounted for`);
      const why = KNOWN_LIMITS.map((k) => [k.name, first.outcomes.filter((o) => o.extension?.some((e) => e.valueString === type) && o.issue.some((i) => k.matches(i))).length] as const).filter(([, n]) => n > 0);
      t.diagnostic(`${type}: ${ofType} examples, ${c.created + c.updated} imported, ${c.rejected} rejected${why.length > 0 ? ` (${why.map(([n, k]) => `${k} ${n}`).join('; ')})` : ''}`);
    }
    const stored = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM care.resources WHERE organization_id = $1', [org])).rows[0]?.n);
    assert.equal(stored, sum(first, 'created'), 'one stored resource per created example; nothing of a rejected one');
    const again = await importFiles(org, files);
    assert.equal(sum(again, 'created') + sum(again, 'updated'), 0, JSON.stringify(again.counts));
    assert.equal(sum(again, 'unchanged'), sum(first, 'created'));
    assert.equal(again.rejected, first.rejected);
  });
});

describe('importer regressions found by the examples', () => {
  const write = (name: string, lines: readonly Record<string, unknown>[]): string => {
    const f = join(out, `${uniqueId(name)}.ndjson`);
    writeFileSync(f, lines.map((l) => JSON.stringify(l)).join('\n'));
    return f;
  };
  const pat = (id: string, ident: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ resourceType: 'Patient', id, identifier: [{ system: 'urn:test:ssn', value: ident }], name: [{ family: `F${id}` }], ...extra });
  const med = (id: string, subject: string): Record<string, unknown> => ({ resourceType: 'MedicationRequest', id, identifier: [{ system: 'urn:test:rx', value: 'shared' }], status: 'active', intent: 'order', subject: { reference: subject }, medicationCodeableConcept: { text: 'x' } });

  test('two MedicationRequests sharing an identifier in one unit import as two (the unit crashed on the identifier upsert)', async () => {
    const org = await newOrg('Regression 1');
    const s = await importFiles(org, [write('shared', [pat('a', uniqueId()), med('m1', 'Patient/a'), med('m2', 'Patient/a')])]);
    assert.equal(s.counts['MedicationRequest']?.created, 2);
    const again = await importFiles(org, [write('shared', [med('m1', 'Patient/a'), med('m2', 'Patient/a')])]);
    assert.equal(again.counts['MedicationRequest']?.unchanged, 2, 'stable: neither overwrites the other on re-import');
  });

  test('references to a later file and reference cycles resolve (they were rejected as dangling)', async () => {
    const org = await newOrg('Regression 2');
    const [x, y] = [uniqueId(), uniqueId()];
    const s = await importFiles(org, [
      write('Patient-cycle', [pat('p1', x, { link: [{ other: { reference: 'Patient/p2' }, type: 'seealso' }] })]),
      write('Patient-cycle', [pat('p2', y, { link: [{ other: { reference: 'Patient/p1' }, type: 'seealso' }] }), pat('p3', uniqueId(), { link: [{ other: { reference: 'RelatedPerson/r1' }, type: 'seealso' }] })]),
      write('RelatedPerson-later', [{ resourceType: 'RelatedPerson', id: 'r1', patient: { reference: 'Patient/p1' } }]),
      write('MedicationRequest-dangling', [med('m9', 'Patient/nobody')]),
    ]);
    assert.equal(s.counts['Patient']?.created, 3, JSON.stringify(s.outcomes));
    assert.equal(s.counts['RelatedPerson']?.created, 1);
    assert.deepEqual(s.outcomes.map((o) => o.issue[0]?.code), ['not-found'], 'the truly dangling one is still rejected');
    assert.match(fileOf(s.outcomes[0] as OperationOutcome), /^MedicationRequest-dangling/, 'a retried reject names its own file');
  });

  test('a second Patient with another patient\'s identifier is rejected; the first keeps its identity (it was overwritten)', async () => {
    const org = await newOrg('Regression 3');
    const ssn = uniqueId();
    const s = await importFiles(org, [write('twins', [pat('first', ssn), pat('second', ssn)])]);
    assert.equal(s.counts['Patient']?.created, 1);
    assert.deepEqual(s.outcomes.map((o) => o.issue[0]?.code), ['duplicate']);
    assert.ok(!JSON.stringify(s.outcomes).includes(ssn), 'the identifier value is not in the outcome');
    const later = await importFiles(org, [write('twins', [pat('second', ssn, { name: [{ family: 'Other' }] })])]);
    assert.equal(later.counts['Patient']?.rejected, 1, 'in a later import too');
    const again = await importFiles(org, [write('twins', [pat('first', ssn)])]);
    assert.equal(again.counts['Patient']?.unchanged, 1, 'the first patient was not touched');
  });
});
