import type { ClickHouseClient } from '../storage/clickhouse.js';
import type { PgPool } from '../storage/postgres.js';
import { CareloopError } from '../errors.js';
import { pdc, type PdcFill } from '../reminders/adherence.js';
import { medicationClass } from '../lexicon/medication-class.js';
import { buildReport, dayMs, reportAsOf, type CampaignReport, type PdcPair, type ReportFacts } from './report.js';
import { inCohort, type SegmentLookup } from './runner.js';

const DAY = 86_400_000;

/** Which of the sent patients wrote in the chat after their send and before `asOf`. */
export type RespondedLookup = (organizationId: string, sends: ReadonlyArray<{ patientId: string; sentAt: number }>, from: number, asOf: number) => Promise<Set<string>>;

const SAFE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

function quoted(id: string): string {
  if (!SAFE_ID.test(id)) throw new CareloopError('VALIDATION_FAILED', 'an id has characters ids never have');
  return `'${id}'`;
}

/**
 * Responses from ClickHouse's `events` (the patients' messages, topic chat.inbound): the latest
 * message of each sent patient in the window, compared with the patient's send. Ids are checked
 * against the id alphabet and inlined (the 18.16 server has no query parameters).
 */
export function clickhouseResponded(ch: ClickHouseClient): RespondedLookup {
  return async (org, sends, from, asOf) => {
    const out = new Set<string>();
    const sentAt = new Map(sends.map((s) => [s.patientId, s.sentAt]));
    const ids = [...sentAt.keys()];
    for (let i = 0; i < ids.length; i += 1_000) {
      const chunk = ids.slice(i, i + 1_000);
      const rs = await ch.query({
        query: `SELECT patient_id, toUInt32(max(event_time)) AS last FROM events
                 WHERE organization_id = ${quoted(org)} AND topic = 'chat.inbound' AND event_date >= toDate(${Math.floor(from / 1000)})
                   AND event_time >= toDateTime(${Math.floor(from / 1000)}) AND event_time < toDateTime(${Math.floor(asOf / 1000)})
                   AND patient_id IN (${chunk.map(quoted).join(', ')})
                 GROUP BY patient_id`,
        format: 'JSONEachRow',
      });
      for (const r of await rs.json<{ patient_id: string; last: number | string }>()) {
        const sent = sentAt.get(r.patient_id);
        if (sent !== undefined && Number(r.last) * 1000 >= Math.floor(sent / 1000) * 1000) out.add(r.patient_id);
      }
    }
    return out;
  };
}

export interface ReportSources {
  pool: PgPool;
  responded: RespondedLookup;
  segmentsOf?: SegmentLookup;
}

interface CampaignFactsRow {
  id: string;
  name: string;
  purpose: string;
  cohort_segment: string | null;
  cohort_medication_class: string | null;
  period_from: string;
  period_to: string;
}

/** The patient's PDC over [first, last] (UTC day numbers): the mean over their prescriptions with a fill in it; null without one. */
function patientPdc(fillsByRequest: ReadonlyMap<string, PdcFill[]>, first: number, last: number): number | null {
  const values = [...fillsByRequest.values()].map((f) => pdc(f, first, last).pdc).filter((v): v is number => v !== null);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

async function pdcPairs(pool: PgPool, org: string, patientIds: readonly string[], cls: string | null, pre: [number, number], post: [number, number]): Promise<PdcPair[]> {
  if (patientIds.length === 0) return [];
  const meds = await pool.query<{ id: string; patient_id: string; name: string }>(
    'SELECT id, patient_id, name FROM patient_medications WHERE organization_id = $1 AND patient_id = ANY($2::text[])', [org, patientIds]);
  const counted = new Set(meds.rows.filter((m) => cls === null || medicationClass(m.name) === cls).map((m) => m.id));
  const { rows } = await pool.query<{ patient_id: string; request_id: string; when_handed_over: Date; days_supply: string }>(
    `SELECT patient_id, request_id, when_handed_over, days_supply FROM care.medication_dispenses
      WHERE organization_id = $1 AND patient_id = ANY($2::text[]) AND status = 'completed' AND request_id IS NOT NULL
        AND when_handed_over IS NOT NULL AND days_supply > 0 AND when_handed_over >= $3 AND when_handed_over < $4`,
    [org, patientIds, new Date(pre[0] * DAY), new Date((post[1] + 1) * DAY)]);
  const byPatient = new Map<string, Map<string, PdcFill[]>>();
  for (const r of rows) {
    if (!counted.has(r.request_id)) continue;
    const requests = byPatient.get(r.patient_id) ?? new Map<string, PdcFill[]>();
    const fills = requests.get(r.request_id) ?? [];
    fills.push({ day: Math.floor(r.when_handed_over.getTime() / DAY), daysSupply: Number(r.days_supply) });
    requests.set(r.request_id, fills);
    byPatient.set(r.patient_id, requests);
  }
  const pairs: PdcPair[] = [];
  for (const id of [...patientIds].sort()) {
    const requests = byPatient.get(id);
    if (requests === undefined) continue;
    const a = patientPdc(requests, pre[0], pre[1]);
    const b = patientPdc(requests, post[0], post[1]);
    if (a !== null && b !== null) pairs.push({ pre: a, post: b });
  }
  return pairs;
}

/**
 * Loads what a report needs, as of the period's end (or, during the period, the start of the
 * current week): the sends before then, who responded, PDC before and during the period of the
 * reached patients and of the matched non-campaign cohort (the cohort's other patients).
 */
export async function campaignReport(src: ReportSources, org: string, campaignId: string, now: number): Promise<CampaignReport> {
  const { rows } = await src.pool.query<CampaignFactsRow>(
    `SELECT id, name, purpose, cohort_segment, cohort_medication_class, to_char(period_from, 'YYYY-MM-DD') AS period_from, to_char(period_to, 'YYYY-MM-DD') AS period_to
       FROM campaigns.campaigns WHERE organization_id = $1 AND id = $2`, [org, campaignId]);
  const c = rows[0];
  if (c === undefined) throw new CareloopError('NOT_FOUND', 'campaign not found');
  const campaign = { id: c.id, name: c.name, purpose: c.purpose, periodFrom: c.period_from, periodTo: c.period_to };
  const { asOf, provisional } = reportAsOf(campaign, now);
  const from = dayMs(c.period_from);
  const sends = (await src.pool.query<{ patient_id: string; sent_at: Date }>(
    'SELECT patient_id, sent_at FROM campaigns.sends WHERE organization_id = $1 AND campaign_id = $2 AND sent_at < $3 ORDER BY patient_id', [org, campaignId, new Date(asOf)]))
    .rows.map((r) => ({ patientId: r.patient_id, sentAt: r.sent_at.getTime() }));
  const responded = asOf > from && sends.length > 0 ? await src.responded(org, sends, from, asOf) : new Set<string>();
  // PDC windows of equal length: the period so far, and as long before it.
  const postFirst = Math.floor(from / DAY);
  const postLast = Math.min(Math.floor(dayMs(c.period_to) / DAY), Math.floor(asOf / DAY) - 1);
  const length = postLast - postFirst + 1;
  let campaignPdc: PdcPair[] = [];
  let comparisonPdc: PdcPair[] = [];
  if (length > 0) {
    const pre: [number, number] = [postFirst - length, postFirst - 1];
    const post: [number, number] = [postFirst, postLast];
    const reached = new Set(sends.map((s) => s.patientId));
    const others = (await src.pool.query<{ id: string }>("SELECT id FROM patients WHERE organization_id = $1 AND status = 'active' ORDER BY id", [org])).rows.map((r) => r.id).filter((id) => !reached.has(id));
    const comparison = await inCohort(src.pool, src.segmentsOf, { organizationId: org, segment: c.cohort_segment, medicationClass: c.cohort_medication_class }, others);
    campaignPdc = await pdcPairs(src.pool, org, [...reached], c.cohort_medication_class, pre, post);
    comparisonPdc = await pdcPairs(src.pool, org, comparison, c.cohort_medication_class, pre, post);
  }
  const facts: ReportFacts = { campaign, asOf, provisional, sends, responded, campaignPdc, comparisonPdc };
  return buildReport(facts);
}
