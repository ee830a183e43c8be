import { randomUUID } from 'node:crypto';
import type { PatientSignal } from '../../schemas/generated/avro-types.js';
import { type PgPool, withTransaction } from '../storage/postgres.js';
import { inMedicationClass, signalIdFor } from './store.js';

/** The signal that starts a campaign's programme: the dialogue runs only the campaign's workflow on it. */
export const CAMPAIGN_START_SIGNAL = 'campaign_start';

/** Each patient's current segment name (profiles); absent from the map: no segment yet. */
export type SegmentLookup = (organizationId: string, patientIds: readonly string[]) => Promise<Map<string, string>>;

export interface CohortRules {
  organizationId: string;
  segment: string | null;
  medicationClass: string | null;
}

/** Of these patients, those in the cohort: an active medication of the class and the segment, when given. */
export async function inCohort(pool: PgPool, segmentsOf: SegmentLookup | undefined, rules: CohortRules, patientIds: readonly string[]): Promise<string[]> {
  if (patientIds.length === 0) return [];
  let ids = [...patientIds];
  if (rules.medicationClass !== null) {
    const { rows } = await pool.query<{ patient_id: string; names: string[] }>(
      'SELECT patient_id, array_agg(name) AS names FROM patient_medications WHERE organization_id = $1 AND active AND patient_id = ANY($2::text[]) GROUP BY patient_id',
      [rules.organizationId, ids]);
    const match = new Set(rows.filter((r) => inMedicationClass(r.names, rules.medicationClass ?? undefined)).map((r) => r.patient_id));
    ids = ids.filter((id) => match.has(id));
  }
  if (rules.segment !== null) {
    if (segmentsOf === undefined) return [];
    const segments = await segmentsOf(rules.organizationId, ids);
    const want = rules.segment.toLowerCase();
    ids = ids.filter((id) => segments.get(id)?.toLowerCase() === want);
  }
  return ids;
}

export interface RunnerDeps {
  pool: PgPool;
  /** Publishes the signals on patient.signals (keyed by patient). */
  publish(signals: PatientSignal[]): Promise<void>;
  segmentsOf?: SegmentLookup;
  now: () => number;
  /** Only these organisations' campaigns (tests); absent: every organisation's. */
  organizations?: readonly string[];
  /** At most this many sends a round (the rest wait for the next). */
  maxPerRound?: number;
}

interface ActiveCampaign {
  organization_id: string;
  id: string;
  purpose: string;
  workflow_id: string;
  cohort_segment: string | null;
  cohort_medication_class: string | null;
}

/**
 * The campaign runner: each round, for every campaign in its period (of an active organisation),
 * sends the programme's start (`campaign_start` on patient.signals, with the campaign's workflow id)
 * to every cohort patient who has given consent to the campaign's purpose and has not had it yet:
 * once per patient (campaigns.sends' key). Consent is checked again at dispatch, holding the consent
 * row, so a withdrawal that lands before the send is honoured and one that lands during it waits.
 */
export class CampaignRunner {
  constructor(private readonly deps: RunnerDeps) {}

  async round(): Promise<{ sent: number; skipped: number }> {
    const now = this.deps.now();
    const today = new Date(Math.floor(now / 86_400_000) * 86_400_000).toISOString().slice(0, 10);
    const { rows: campaigns } = await this.deps.pool.query<ActiveCampaign>(
      `SELECT c.organization_id, c.id, c.purpose, c.workflow_id, c.cohort_segment, c.cohort_medication_class
         FROM campaigns.campaigns c JOIN organizations o ON o.id = c.organization_id AND o.status = 'active'
        WHERE c.period_from <= $1::date AND c.period_to >= $1::date AND ($2::text[] IS NULL OR c.organization_id = ANY($2::text[]))
        ORDER BY c.organization_id, c.id`, [today, this.deps.organizations === undefined ? null : [...this.deps.organizations]]);
    let sent = 0;
    let skipped = 0;
    let budget = this.deps.maxPerRound ?? 5_000;
    for (const c of campaigns) {
      if (budget <= 0) break;
      const { rows } = await this.deps.pool.query<{ patient_id: string }>(
        `SELECT k.patient_id FROM campaigns.consents k JOIN patients p ON p.id = k.patient_id AND p.status = 'active'
          WHERE k.organization_id = $1 AND k.purpose = $2 AND k.status = 'given'
            AND NOT EXISTS (SELECT 1 FROM campaigns.sends s WHERE s.organization_id = k.organization_id AND s.campaign_id = $3 AND s.patient_id = k.patient_id)
          ORDER BY k.patient_id LIMIT $4`, [c.organization_id, c.purpose, c.id, budget]);
      const cohort = await inCohort(this.deps.pool, this.deps.segmentsOf, { organizationId: c.organization_id, segment: c.cohort_segment, medicationClass: c.cohort_medication_class }, rows.map((r) => r.patient_id));
      for (const patientId of cohort) {
        budget--;
        if (await this.dispatch(c, patientId, now)) sent++;
        else skipped++;
      }
    }
    return { sent, skipped };
  }

  /** One send: consent re-read under its row lock, the send recorded, the signal published, then committed. */
  private async dispatch(c: ActiveCampaign, patientId: string, now: number): Promise<boolean> {
    // A send not due (consent gone, already sent) changes nothing: its transaction commits empty.
    return withTransaction(this.deps.pool, async (client) => {
      const consent = await client.query<{ status: string }>(
        'SELECT status FROM campaigns.consents WHERE organization_id = $1 AND patient_id = $2 AND purpose = $3 FOR UPDATE', [c.organization_id, patientId, c.purpose]);
      if (consent.rows[0]?.status !== 'given') return false;
      const signalId = signalIdFor(c.id, patientId);
      const inserted = await client.query(
        `INSERT INTO campaigns.sends (organization_id, campaign_id, patient_id, signal_id, sent_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING`, [c.organization_id, c.id, patientId, signalId, new Date(now)]);
      if (inserted.rowCount !== 1) return false;
      await this.deps.publish([{
        signalId, traceId: randomUUID(), organizationId: c.organization_id, patientId, type: CAMPAIGN_START_SIGNAL, source: 'campaign',
        occurredAt: now, attributes: { campaign_id: c.id, purpose: c.purpose, workflow_id: c.workflow_id }, payload: null,
      }]);
      return true;
    });
  }
}
