import { type PgPool, withTransaction } from '../storage/postgres.js';
import { CareloopError } from '../errors.js';
import { MEDICATION_CLASSES, medicationClass } from '../lexicon/medication-class.js';
import { randomBase62 } from '../vault/ids.js';

export const CONSENT_SOURCES = ['api', 'portal', 'paper', 'phone', 'chat'] as const;
export type ConsentSource = (typeof CONSENT_SOURCES)[number];
export type ConsentStatus = 'given' | 'withdrawn';

export interface Partner {
  id: string;
  displayName: string;
  createdAt: string;
}

export interface Cohort {
  segment?: string;
  medicationClass?: string;
}

export interface CampaignInput {
  name: string;
  purpose: string;
  workflowId: string;
  cohort: Cohort;
  period: { from: string; to: string };
  partnerIds: string[];
}

export interface Campaign extends CampaignInput {
  id: string;
  status: 'scheduled' | 'active' | 'ended';
  createdAt: string;
}

export interface Consent {
  patientId: string;
  purpose: string;
  status: ConsentStatus;
  at: string;
  source: ConsentSource;
}

const DAY = 86_400_000;

interface CampaignRow {
  organization_id: string;
  id: string;
  name: string;
  purpose: string;
  workflow_id: string;
  cohort_segment: string | null;
  cohort_medication_class: string | null;
  period_from: string;
  period_to: string;
  created_at: Date;
  partner_ids: string[] | null;
}

const CAMPAIGN_SELECT = `SELECT c.organization_id, c.id, c.name, c.purpose, c.workflow_id, c.cohort_segment, c.cohort_medication_class,
    to_char(c.period_from, 'YYYY-MM-DD') AS period_from, to_char(c.period_to, 'YYYY-MM-DD') AS period_to, c.created_at,
    (SELECT array_agg(p.partner_id ORDER BY p.partner_id) FROM campaigns.campaign_partners p WHERE p.organization_id = c.organization_id AND p.campaign_id = c.id) AS partner_ids
  FROM campaigns.campaigns c`;

/** The status of a campaign on a day: before, within or after its period (UTC days). */
export function campaignStatus(period: { from: string; to: string }, now: number): Campaign['status'] {
  const today = new Date(Math.floor(now / DAY) * DAY).toISOString().slice(0, 10);
  return today < period.from ? 'scheduled' : today > period.to ? 'ended' : 'active';
}

function isDay(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;
}

/**
 * Partners, campaigns, consents per patient and purpose, and the programme sends (PostgreSQL,
 * schema `campaigns`). Every read and write is scoped to one organisation.
 */
export class CampaignStore {
  constructor(private readonly pool: PgPool, private readonly now: () => number) {}

  async listPartners(org: string): Promise<Partner[]> {
    const { rows } = await this.pool.query<{ id: string; display_name: string; created_at: Date }>(
      'SELECT id, display_name, created_at FROM campaigns.partners WHERE organization_id = $1 ORDER BY id', [org]);
    return rows.map((r) => ({ id: r.id, displayName: r.display_name, createdAt: r.created_at.toISOString() }));
  }

  async createPartner(org: string, id: string, displayName: string): Promise<Partner> {
    const { rows } = await this.pool.query<{ created_at: Date }>(
      `INSERT INTO campaigns.partners (organization_id, id, display_name, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING created_at`, [org, id, displayName.trim(), new Date(this.now())]);
    const row = rows[0];
    if (row === undefined) throw new CareloopError('CONFLICT', 'a partner with this id exists');
    return { id, displayName: displayName.trim(), createdAt: row.created_at.toISOString() };
  }

  private campaignOf(r: CampaignRow, partnerId: string | null): Campaign {
    const cohort: Cohort = {};
    if (r.cohort_segment !== null) cohort.segment = r.cohort_segment;
    if (r.cohort_medication_class !== null) cohort.medicationClass = r.cohort_medication_class;
    const period = { from: r.period_from, to: r.period_to };
    const partners = r.partner_ids ?? [];
    return {
      id: r.id, name: r.name, purpose: r.purpose, workflowId: r.workflow_id, cohort, period,
      // A partner learns of no other partner.
      partnerIds: partnerId === null ? partners : partners.filter((p) => p === partnerId),
      status: campaignStatus(period, this.now()), createdAt: r.created_at.toISOString(),
    };
  }

  async createCampaign(org: string, input: CampaignInput, createdBy: string): Promise<Campaign> {
    if (!isDay(input.period.from) || !isDay(input.period.to)) throw new CareloopError('VALIDATION_FAILED', 'period days are YYYY-MM-DD calendar days', { details: { field: 'period' } });
    if (input.period.to < input.period.from) throw new CareloopError('VALIDATION_FAILED', 'period.to is before period.from', { details: { field: 'period' } });
    if ((dayNumber(input.period.to) - dayNumber(input.period.from)) > 731) throw new CareloopError('VALIDATION_FAILED', 'a campaign lasts at most two years', { details: { field: 'period' } });
    if (input.cohort.medicationClass !== undefined && !MEDICATION_CLASSES.includes(input.cohort.medicationClass)) {
      throw new CareloopError('VALIDATION_FAILED', `unknown medication class; one of ${MEDICATION_CLASSES.join(', ')}`, { details: { field: 'cohort.medicationClass' } });
    }
    const partnerIds = [...new Set(input.partnerIds)].sort();
    const id = await withTransaction(this.pool, async (client) => {
      const published = await client.query('SELECT 1 FROM workflow_versions WHERE organization_id = $1 AND workflow_id = $2 AND published_at IS NOT NULL LIMIT 1', [org, input.workflowId]);
      if (published.rowCount === 0) throw new CareloopError('VALIDATION_FAILED', 'the programme must be a published workflow of the organisation', { details: { field: 'workflowId' } });
      const known = await client.query<{ id: string }>('SELECT id FROM campaigns.partners WHERE organization_id = $1 AND id = ANY($2::text[])', [org, partnerIds]);
      if (known.rowCount !== partnerIds.length) throw new CareloopError('VALIDATION_FAILED', 'every partnerId must be a partner of the organisation', { details: { field: 'partnerIds' } });
      const id = `cm${randomBase62(16)}`;
      await client.query(
        `INSERT INTO campaigns.campaigns (organization_id, id, name, purpose, workflow_id, cohort_segment, cohort_medication_class, period_from, period_to, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [org, id, input.name.trim(), input.purpose, input.workflowId, input.cohort.segment ?? null, input.cohort.medicationClass ?? null, input.period.from, input.period.to, createdBy, new Date(this.now())]);
      for (const p of partnerIds) await client.query('INSERT INTO campaigns.campaign_partners (organization_id, campaign_id, partner_id) VALUES ($1, $2, $3)', [org, id, p]);
      return id;
    });
    return await this.getCampaign(org, id, null);
  }

  /** The organisation's campaigns; a partner's: only those shared with it. */
  async listCampaigns(org: string, partnerId: string | null): Promise<Campaign[]> {
    const { rows } = await this.pool.query<CampaignRow>(
      `${CAMPAIGN_SELECT} WHERE c.organization_id = $1 AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM campaigns.campaign_partners p WHERE p.organization_id = c.organization_id AND p.campaign_id = c.id AND p.partner_id = $2))
       ORDER BY c.created_at, c.id`, [org, partnerId]);
    return rows.map((r) => this.campaignOf(r, partnerId));
  }

  /** One campaign; NOT_FOUND also when it is not shared with the partner asking (its existence is not revealed). */
  async getCampaign(org: string, id: string, partnerId: string | null): Promise<Campaign> {
    const { rows } = await this.pool.query<CampaignRow>(
      `${CAMPAIGN_SELECT} WHERE c.organization_id = $1 AND c.id = $2 AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM campaigns.campaign_partners p WHERE p.organization_id = c.organization_id AND p.campaign_id = c.id AND p.partner_id = $3))`,
      [org, id, partnerId]);
    const row = rows[0];
    if (row === undefined) throw new CareloopError('NOT_FOUND', 'campaign not found');
    return this.campaignOf(row, partnerId);
  }

  async getConsent(org: string, patientId: string, purpose: string): Promise<Consent> {
    await this.requirePatient(org, patientId);
    const { rows } = await this.pool.query<{ status: ConsentStatus; at: Date; source: ConsentSource }>(
      'SELECT status, at, source FROM campaigns.consents WHERE organization_id = $1 AND patient_id = $2 AND purpose = $3', [org, patientId, purpose]);
    const row = rows[0];
    if (row === undefined) throw new CareloopError('NOT_FOUND', 'no consent recorded for this purpose');
    return { patientId, purpose, status: row.status, at: row.at.toISOString(), source: row.source };
  }

  private async requirePatient(org: string, patientId: string): Promise<void> {
    const { rowCount } = await this.pool.query("SELECT 1 FROM patients WHERE id = $1 AND organization_id = $2 AND status <> 'erased'", [patientId, org]);
    if (rowCount !== 1) throw new CareloopError('NOT_FOUND', 'patient not found');
  }

  /** Records a consent given or withdrawn, now; the history keeps every change. */
  async setConsent(org: string, patientId: string, purpose: string, status: ConsentStatus, source: ConsentSource): Promise<Consent> {
    await this.requirePatient(org, patientId);
    const at = new Date(this.now());
    await withTransaction(this.pool, async (client) => {
      // Waits for a send being dispatched to this patient (it holds the row): the next one sees the change.
      await client.query(
        `INSERT INTO campaigns.consents (organization_id, patient_id, purpose, status, at, source) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (organization_id, patient_id, purpose) DO UPDATE SET status = EXCLUDED.status, at = EXCLUDED.at, source = EXCLUDED.source`,
        [org, patientId, purpose, status, at, source]);
      await client.query('INSERT INTO campaigns.consent_events (organization_id, patient_id, purpose, status, at, source) VALUES ($1, $2, $3, $4, $5, $6)', [org, patientId, purpose, status, at, source]);
    });
    return { patientId, purpose, status, at: at.toISOString(), source };
  }

  /**
   * The patient asked in the chat to stop the programme messages: every programme consent they gave
   * is withdrawn (source chat), at `at`; the channels' consent is left alone. Returns the purposes.
   */
  async withdrawAllByChat(org: string, patientId: string, at: number): Promise<string[]> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ purpose: string }>(
        `UPDATE campaigns.consents SET status = 'withdrawn', at = $3, source = 'chat'
          WHERE organization_id = $1 AND patient_id = $2 AND status = 'given' RETURNING purpose`, [org, patientId, new Date(at)]);
      for (const r of rows) {
        await client.query("INSERT INTO campaigns.consent_events (organization_id, patient_id, purpose, status, at, source) VALUES ($1, $2, $3, 'withdrawn', $4, 'chat')", [org, patientId, r.purpose, new Date(at)]);
      }
      return rows.map((r) => r.purpose).sort();
    });
  }
}

export function dayNumber(day: string): number {
  return Math.floor(Date.parse(`${day}T00:00:00Z`) / DAY);
}

/** Whether a patient's active medications include the cohort's class (no class: every patient). */
export function inMedicationClass(names: readonly string[], cls: string | undefined): boolean {
  return cls === undefined || names.some((n) => medicationClass(n) === cls);
}

/** The signal id of a send: one per campaign and patient, so a redelivery is recognised downstream. */
export function signalIdFor(campaignId: string, patientId: string): string {
  return `campaign:${campaignId}:${patientId}`;
}
