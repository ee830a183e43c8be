import type pg from 'pg';
import type { Actor, AuditEventInput } from '../../platform/audit/types.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { sealCarePlanTextWith } from '../../platform/stores/care-plan-text.js';
import { seal } from '../../platform/crypto/envelope.js';
import { pack } from '../../platform/vault/field-crypto.js';
import { randomBase62, newPatientId } from '../../platform/vault/ids.js';
import { blindDigest, type BlindIndexKeyProvider } from '../../platform/vault/index-keys.js';
import type { VaultBatch } from '../../platform/vault/batch.js';
import { withTransaction, type PgPool } from '../../platform/storage/postgres.js';
import { checkEntry, duplicateIssue, type Candidate, type CheckLimits } from './check.js';
import { issue, rejectOutcome, type OperationOutcome, type OutcomeIssue } from './outcome.js';
import { carePlanMedication, project, signalOf } from './project.js';
import type { RawEntry, Unit } from './readers.js';
import { canonicalJson, parseReference, referenceSites, sourceKey } from './references.js';
import { ID_PREFIX, isImportedType, type ImportedType } from './rules.js';
import type { FhirSchema } from './schema.js';
import * as store from './store.js';

export type Change = 'created' | 'updated' | 'unchanged' | 'rejected';
export type Counts = Record<string, Record<Change | 'ignored', number>>;

export interface ImportSignal {
  patientId: string;
  type: string;
  attributes: Record<string, string>;
  occurredAt: Date;
}

export interface ImporterDeps {
  pool: PgPool;
  keyring: Keyring;
  indexKeys: BlindIndexKeyProvider;
  vault: VaultBatch;
  schema: FhirSchema;
  /** Where the facts go (patient.signals); called after the unit's transaction commits. */
  emit(organizationId: string, signals: readonly ImportSignal[]): Promise<void>;
  now(): Date;
}

export interface ImportOptions {
  organizationId: string;
  actor: Actor;
  dryRun: boolean;
  limits: CheckLimits;
  /** A FHIR transaction: one rejected entry and nothing of the unit is written. */
  atomic?: boolean;
}

interface Planned {
  c: Candidate;
  /** Why it cannot be written whatever else arrives (an identifier held by another patient). */
  conflict?: OutcomeIssue;
  id: string;
  existing: store.ExistingResource | undefined;
  sourceDigest: Buffer | null;
  identifierDigests: Buffer[];
  stored?: Record<string, unknown>;
  contentDigest?: Buffer;
  /** Undoes the in-place rewrite, for an entry deferred to a later round (it is checked again as it came). */
  restore?: () => void;
}

/** What became of one entry that was not rejected (our id; none for an ignored type). */
export interface EntryResult {
  index: number;
  type: string;
  id: string | null;
  change: Exclude<Change, 'rejected'> | 'ignored';
}

export interface UnitResult {
  rejects: OperationOutcome[];
  results: EntryResult[];
  /** With `defer`: entries held back because a reference did not resolve yet (retry them later). */
  deferred: RawEntry[];
}

export interface UnitOptions {
  /**
   * NDJSON units only: an entry whose references do not resolve (yet) is handed back in
   * `deferred` instead of rejected, so a later file of the same run, or a cycle, can satisfy it.
   */
  defer?: boolean;
}

const hex = (b: Buffer): string => b.toString('hex');

/** Imports units: checks each resource, resolves references, matches, writes one unit per transaction. */
export class FhirImporter {
  readonly counts: Counts = {};

  constructor(private readonly deps: ImporterDeps, private readonly opts: ImportOptions) {}

  private count(type: string, change: Change | 'ignored', n = 1): void {
    const c = this.counts[type] ?? (this.counts[type] = { created: 0, updated: 0, unchanged: 0, rejected: 0, ignored: 0 });
    c[change] += n;
  }

  async importUnit(unit: Unit, unitOpts: UnitOptions = {}): Promise<UnitResult> {
    const org = this.opts.organizationId;
    const rejects: OperationOutcome[] = [];
    const deferred: RawEntry[] = [];
    const defer = unitOpts.defer === true && unit.kind === 'ndjson' && this.opts.atomic !== true;
    const raw = new Map<Candidate, RawEntry>();
    const rejectedKeys = new Set<string>();
    const reject = (index: number, issues: OutcomeIssue[], type?: string, id?: string, keys: Array<string | null> = [], file = unit.file): void => {
      this.count(type !== undefined && isImportedType(type) ? type : (type ?? 'unknown'), 'rejected');
      rejects.push(rejectOutcome({ file, index, ...(type !== undefined ? { resourceType: type } : {}), ...(id !== undefined ? { id } : {}) }, issues));
      for (const k of keys) if (k !== null) rejectedKeys.add(k);
    };
    const ignoredUrls = new Set<string>();
    const seen = new Set<string>();
    const candidates: Candidate[] = [];
    const results: EntryResult[] = [];
    for (const e of unit.entries) {
      const checked = checkEntry(e, this.deps.schema, this.opts.limits);
      if (checked.kind === 'ignored') { this.count(checked.type, 'ignored'); results.push({ index: e.index, type: checked.type, id: null, change: 'ignored' }); if (checked.fullUrl !== null) ignoredUrls.add(checked.fullUrl); continue; }
      if (checked.kind === 'rejected') {
        const keys = [e.fullUrl ?? null, checked.type !== undefined && checked.id !== undefined ? sourceKey(checked.type, checked.id) : null];
        reject(checked.index, checked.issues, checked.type, checked.id, unit.kind === 'bundle' ? keys : [], e.file);
        continue;
      }
      const dup = unit.kind === 'bundle' ? duplicateIssue(checked.candidate, seen) : undefined;
      if (dup !== undefined) { reject(e.index, [dup], checked.candidate.type, checked.candidate.sourceId ?? undefined, [], e.file); continue; }
      candidates.push(checked.candidate);
      raw.set(checked.candidate, e);
    }
    if (candidates.length === 0) return { rejects, results, deferred };
    const indexKey = await this.deps.indexKeys.indexKey(org);
    return withTransaction(this.deps.pool, async (client) => {
      // The unit's audit events are appended last, so the organisation's audit chain is locked only around commit.
      const audit: AuditEventInput[] = [];
      const planned = await this.match(client, org, indexKey, candidates, audit);
      const unresolved = await this.resolve(client, org, indexKey, planned, ignoredUrls, rejectedKeys, audit);
      const ok: Planned[] = [];
      for (const p of planned) {
        const problem = p.conflict ?? unresolved.get(p);
        const entry = raw.get(p.c);
        if (problem === undefined) ok.push(p);
        else if (defer && p.conflict === undefined && entry !== undefined) { p.restore?.(); deferred.push(entry); }
        else reject(p.c.index, [problem], p.c.type, p.c.sourceId ?? undefined, [], p.c.file);
      }
      if (this.opts.atomic === true && rejects.length > 0) {
        await client.query('ROLLBACK; BEGIN');
        return { rejects, results: [], deferred };
      }
      const changed = ok.filter((p) => {
        p.contentDigest = blindDigest(indexKey, 'fhir-content', canonicalJson(p.stored));
        const same = p.existing !== undefined && p.existing.contentDigest.equals(p.contentDigest);
        if (same) this.count(p.c.type, 'unchanged');
        results.push({ index: p.c.index, type: p.c.type, id: p.id, change: same ? 'unchanged' : p.existing ? 'updated' : 'created' });
        return !same;
      });
      if (this.opts.dryRun) {
        for (const p of changed) this.count(p.c.type, p.existing ? 'updated' : 'created');
        await client.query('ROLLBACK; BEGIN');
        return { rejects, results, deferred };
      }
      const signals = await this.write(client, org, changed, audit);
      await this.deps.vault.flushAudit(client, org, audit);
      for (const p of changed) this.count(p.c.type, p.existing ? 'updated' : 'created');
      return { rejects, results, deferred, signals };
    }).then(async (r) => {
      const signals = (r as { signals?: ImportSignal[] }).signals ?? [];
      if (signals.length > 0) await this.deps.emit(org, signals);
      return { rejects: r.rejects, results: r.results, deferred: r.deferred };
    });
  }

  /** Our id for each candidate: the resource already imported (by source id or identifier), or a new one. */
  private async match(client: pg.ClientBase, org: string, indexKey: Buffer, cs: readonly Candidate[], audit: AuditEventInput[]): Promise<Planned[]> {
    const planned: Planned[] = [];
    for (const c of cs) {
      const sourceDigest = c.sourceId === null ? null : blindDigest(indexKey, 'fhir-source', sourceKey(c.type, c.sourceId));
      const identifierDigests = c.type === 'Patient'
        ? await this.deps.vault.identifierDigests(org, c.identifiers)
        : c.identifiers.map((i) => blindDigest(indexKey, `fhir-identifier:${c.type}`, `${i.system}|${i.value}`));
      planned.push({ c, id: '', existing: undefined, sourceDigest, identifierDigests });
    }
    const bySource = await store.bySourceDigest(client, org, planned.flatMap((p) => (p.sourceDigest ? [p.sourceDigest] : [])));
    const patientDigests = planned.filter((p) => p.c.type === 'Patient').flatMap((p) => p.identifierDigests);
    const patients = patientDigests.length > 0 ? await this.deps.vault.findByIdentifierDigests(client, this.opts.actor, org, patientDigests, 'operations', audit) : new Map<string, string>();
    const others = await store.byIdentifierDigest(client, org, planned.filter((p) => p.c.type !== 'Patient').flatMap((p) => p.identifierDigests));
    const matchedIds: string[] = [];
    for (const p of planned) {
      const src = p.sourceDigest ? bySource.get(hex(p.sourceDigest)) : undefined;
      if (src !== undefined && src.type === p.c.type) { p.existing = src; p.id = src.id; continue; }
      const byIdent = p.identifierDigests.map((d) => (p.c.type === 'Patient' ? patients : others).get(hex(d))).find((x) => x !== undefined);
      if (byIdent !== undefined) { p.id = byIdent; matchedIds.push(byIdent); continue; }
      p.id = p.c.type === 'Patient' ? newPatientId() : `${ID_PREFIX[p.c.type]}_${randomBase62(22)}`;
    }
    const found = await store.byIds(client, org, matchedIds);
    const held = new Map<string, string>();
    for (const p of planned) {
      const e = p.existing === undefined ? found.get(p.id) : undefined;
      // Matched by identifier to a resource imported from another id: a different resource that shares it.
      const other = e?.sourceDigest != null && p.sourceDigest !== null && !e.sourceDigest.equals(p.sourceDigest);
      const twin = p.c.type === 'Patient' && p.existing === undefined ? p.identifierDigests.map((d) => held.get(hex(d))).find((s) => s !== undefined && s !== (p.c.sourceId ?? '')) : undefined;
      if (p.c.type === 'Patient' && (other || twin !== undefined)) {
        p.conflict = issue('duplicate', 'Patient.identifier: another Patient, imported from a different id, holds the same identifier; Careloop keeps one patient per identifier and does not merge two Patient resources', 'Patient.identifier');
        const i = matchedIds.indexOf(p.id);
        if (i >= 0) matchedIds.splice(i, 1);
        p.id = newPatientId();
        continue;
      }
      if (p.c.type === 'Patient') for (const d of p.identifierDigests) held.set(hex(d), p.c.sourceId ?? '');
      if (other) {
        const i = matchedIds.indexOf(p.id);
        if (i >= 0) matchedIds.splice(i, 1);
        p.id = `${ID_PREFIX[p.c.type]}_${randomBase62(22)}`;
        continue;
      }
      if (e !== undefined) p.existing = e;
    }
    // A patient matched in the vault but never imported as FHIR still exists: it is updated, not created.
    const matched = new Set(matchedIds);
    for (const p of planned) if (p.existing === undefined && matched.has(p.id)) p.existing = { id: p.id, type: p.c.type, contentDigest: Buffer.alloc(0), status: null };
    return planned;
  }

  /**
   * Rewrites every reference to our ids: within the unit (urn:uuid fullUrls, Type/id, conditional
   * identifiers), else what earlier imports stored. Returns the candidates left with a dangling one.
   */
  private async resolve(client: pg.ClientBase, org: string, indexKey: Buffer, planned: Planned[], ignoredUrls: ReadonlySet<string>, rejectedKeys: ReadonlySet<string>, audit: AuditEventInput[]): Promise<Map<Planned, OutcomeIssue>> {
    const local = new Map<string, string>();
    for (const p of planned) {
      const ours = `${p.c.type}/${p.id}`;
      if (p.c.fullUrl !== null) local.set(p.c.fullUrl, ours);
      if (p.c.sourceId !== null) local.set(sourceKey(p.c.type, p.c.sourceId), ours);
      for (const i of p.c.identifiers) local.set(`${p.c.type}?${i.system}|${i.value}`, ours);
    }
    const pendingSource = new Map<string, Buffer>();
    const pendingIdent = new Map<string, { type: string; digest: Buffer; system: string; value: string }>();
    const work: Array<{ p: Planned; site: ReturnType<typeof referenceSites>[number]; key: string }> = [];
    const problems = new Map<Planned, OutcomeIssue>();
    for (const p of planned) {
      // The parsed resource is the importer's own (nothing else holds it): rewritten in place, not cloned.
      const copy = p.c.resource;
      const original = { id: copy['id'], meta: copy['meta'] };
      copy['id'] = p.id;
      delete copy['meta'];
      p.stored = copy;
      const sites = referenceSites(copy, p.c.type);
      p.restore = () => {
        copy['id'] = original.id;
        if (original.meta !== undefined) copy['meta'] = original.meta;
        for (const site of sites) site.holder['reference'] = site.reference;
      };
      for (const site of sites) {
        const t = parseReference(site.reference);
        if (t.kind === 'other') continue;
        if (t.kind === 'urn') {
          if (rejectedKeys.has(t.key)) { problems.set(p, issue('processing', `${site.path} refers to an entry of this Bundle that was rejected`, site.path)); continue; }
          const hit = local.get(t.key);
          if (hit !== undefined) site.holder['reference'] = hit;
          else if (!ignoredUrls.has(t.key)) problems.set(p, issue('not-found', `${site.path} refers to ${t.key.slice(0, 80)}, which is not in this Bundle`, site.path));
          continue;
        }
        if (!isImportedType(t.type)) continue;
        const key = t.kind === 'literal' ? sourceKey(t.type, t.id) : `${t.type}?${t.system}|${t.value}`;
        if (rejectedKeys.has(key)) { problems.set(p, issue('processing', `${site.path} refers to ${key.slice(0, 80)}, which was rejected`, site.path)); continue; }
        const hit = local.get(key);
        if (hit !== undefined) { site.holder['reference'] = hit; continue; }
        if (t.kind === 'literal') pendingSource.set(key, blindDigest(indexKey, 'fhir-source', key));
        else {
          const digest = t.type === 'Patient' ? (await this.deps.vault.identifierDigests(org, [{ system: t.system, value: t.value }]))[0] as Buffer
            : blindDigest(indexKey, `fhir-identifier:${t.type}`, `${t.system}|${t.value}`);
          pendingIdent.set(key, { type: t.type, digest, system: t.system, value: t.value });
        }
        work.push({ p, site, key });
      }
    }
    if (work.length > 0) {
      const bySource = await store.bySourceDigest(client, org, [...pendingSource.values()]);
      const identPatients = [...pendingIdent.values()].filter((i) => i.type === 'Patient').map((i) => i.digest);
      const patients = identPatients.length > 0 ? await this.deps.vault.findByIdentifierDigests(client, this.opts.actor, org, identPatients, 'operations', audit) : new Map<string, string>();
      const others = await store.byIdentifierDigest(client, org, [...pendingIdent.values()].filter((i) => i.type !== 'Patient').map((i) => i.digest));
      for (const { p, site, key } of work) {
        const src = pendingSource.get(key);
        const ident = pendingIdent.get(key);
        const type = key.split(/[/?]/, 1)[0] as string;
        const hit = src !== undefined ? bySource.get(hex(src))?.id : ident !== undefined ? (ident.type === 'Patient' ? patients : others).get(hex(ident.digest)) : undefined;
        if (hit !== undefined) site.holder['reference'] = `${type}/${hit}`;
        else if (!problems.has(p)) problems.set(p, issue('not-found', `${site.path} refers to ${key.slice(0, 120)}, which is neither in this file nor imported before (dangling reference)`, site.path));
      }
    }
    // A resource referring to one rejected in this pass is rejected too (nothing half-imported).
    for (let changed = true; changed;) {
      changed = false;
      const bad = new Set([...problems.keys()].map((p) => `${p.c.type}/${p.id}`));
      for (const p of planned) {
        if (problems.has(p) || p.stored === undefined) continue;
        const hit = referenceSites(p.stored, p.c.type).find((s) => bad.has(s.reference));
        if (hit !== undefined) { problems.set(p, issue('processing', `${hit.path} refers to a resource that was rejected`, hit.path)); changed = true; }
      }
    }
    return problems;
  }

  private async write(client: pg.ClientBase, org: string, changed: readonly Planned[], audit: AuditEventInput[]): Promise<ImportSignal[]> {
    const { keyId, key } = await this.deps.keyring.activeKey(org);
    const patients = changed.filter((p) => p.c.type === 'Patient');
    await this.deps.vault.write(client, this.opts.actor, org, patients.map((p) => ({ patientId: p.id, identity: p.c.identity?.identity ?? {}, existing: p.existing !== undefined })), 'operations', audit);
    await store.insertPatients(client, org, patients.map((p) => ({ id: p.id, language: p.c.identity?.language ?? 'en', existing: p.existing !== undefined })));
    const projections = changed.flatMap((p) => { const x = project(p.c.type, p.stored ?? {}); return x ? [x] : []; });
    const patientOf = new Map(projections.map((x) => [String(x.row['id']), x.patientId]));
    await store.upsertResources(client, org, changed.map((p) => {
      const json = JSON.stringify(p.stored);
      const patientId = p.c.type === 'Patient' ? p.id : patientOf.get(p.id) ?? null;
      return { type: p.c.type, id: p.id, sourceDigest: p.sourceDigest, contentDigest: p.contentDigest ?? Buffer.alloc(0), patientId, keyId, sealed: pack(seal(key, keyId, json, careAad(org, p.c.type, p.id))) };
    }));
    await store.upsertIdentifiers(client, org, changed.filter((p) => p.c.type !== 'Patient').flatMap((p) => p.identifierDigests.map((digest) => ({ type: p.c.type, digest, id: p.id }))));
    await store.upsertProjections(client, org, projections);
    const meds = changed.filter((p) => p.c.type === 'MedicationRequest').flatMap((p) => {
      const pid = patientOf.get(p.id);
      if (!pid) return [];
      const m = carePlanMedication(p.stored ?? {}, pid);
      return [{ ...m, ...sealCarePlanTextWith({ keyId, key }, org, pid, m.id, m) }];
    });
    await store.upsertCarePlan(client, org, meds);
    const now = this.deps.now();
    const signals: ImportSignal[] = [];
    for (const p of changed) {
      const patientId = p.c.type === 'Patient' ? p.id : patientOf.get(p.id);
      if (patientId === undefined || patientId === null) continue;
      const s = signalOf(p.c.type, p.stored ?? {}, p.existing ? 'updated' : 'created', p.existing?.status ?? null);
      if (s !== null) signals.push({ patientId, type: s.type, attributes: { ...s.attributes, resourceType: p.c.type }, occurredAt: s.occurredAt !== null ? new Date(s.occurredAt) : now });
    }
    return signals;
  }
}

/** Binds a sealed resource to its organisation, type and id: a copied cell does not open elsewhere. */
export function careAad(organizationId: string, type: string, id: string): string {
  return `careloop:care:${organizationId}:${type}:${id}`;
}

export type { ImportedType };
