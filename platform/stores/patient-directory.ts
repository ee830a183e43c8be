import type { PgPool } from '../storage/postgres.js';
import { CareloopError } from '../errors.js';
import { LookupCache } from '../cache/lookup-cache.js';
import { effectiveTimeZone } from '../time/zones.js';
import type { Keyring } from '../crypto/keyring.js';
import { openCarePlanText } from './care-plan-text.js';

export interface Medication {
  id: string;
  name: string;
  dose: string;
  scheduleTimes: string[];
  /** The prescription's own instructions ("1 tablet twice a day with food"); '' when not known. */
  instructions: string;
}

/** A care-plan row as the directory's query returns it: the text sealed (base64) or, before 0060, plain. */
interface SealedMedication {
  id: string;
  name: string;
  dose: string;
  scheduleTimes: string[];
  instructions: string;
  keyId: string | null;
  sealed: string | null;
}

export interface OrganizationSettings {
  id: string;
  displayName: string;
  timezone: string;
  languages: string[];
  emergencyNumber: string;
  /** Crisis line for suicidal thoughts and self-harm (988 in the US). */
  crisisNumber: string;
  poisonControlNumber: string;
  /** Pharmacist or care-team contact the assistant gives for medication questions ('' when none). */
  careTeamContact: string;
  /** The organisation's own text for when a workflow fails, per language. */
  fallbackText: Record<string, string>;
}

export interface PatientProfile {
  id: string;
  organizationId: string;
  preferredLanguage: string;
  /** The patient's IANA time zone, when known (else the organisation's applies). */
  timeZone: string | null;
  status: 'active' | 'opted_out' | 'erased';
  medications: Medication[];
}

/** The organisations columns the directory and the admin API read, and their mapping. */
export const ORGANIZATION_COLUMNS = 'id, display_name, timezone, languages, emergency_number, crisis_number, poison_control_number, care_team_contact, fallback_text';

export interface OrganizationRow {
  id: string; display_name: string; timezone: string; languages: string[]; emergency_number: string;
  crisis_number: string; poison_control_number: string; care_team_contact: string; fallback_text: Record<string, string> | null;
}

export function organizationOf(r: OrganizationRow): OrganizationSettings {
  return {
    id: r.id, displayName: r.display_name, timezone: r.timezone, languages: r.languages, emergencyNumber: r.emergency_number,
    crisisNumber: r.crisis_number, poisonControlNumber: r.poison_control_number, careTeamContact: r.care_team_contact, fallbackText: r.fallback_text ?? {},
  };
}

/** The one rule for the zone a patient's times are read in: theirs, else the organisation's, else UTC. */
export function patientTimeZone(patient: Pick<PatientProfile, 'timeZone'>, org: Pick<OrganizationSettings, 'timezone'>): string {
  return effectiveTimeZone(patient.timeZone, org.timezone);
}

/**
 * Read side of the system of record for the hot path: organisation settings and a patient's care
 * plan, cached in process for a short time (a cache, not state: any instance may serve anyone).
 */
export class PatientDirectory {
  private readonly orgs: LookupCache<OrganizationSettings>;
  private readonly patients: LookupCache<PatientProfile>;

  constructor(private readonly pool: PgPool, private readonly keyring: Pick<Keyring, 'keyById'> | null, ttlMs = 30_000, now: () => number = Date.now, maxPatients = 200_000) {
    this.orgs = new LookupCache(ttlMs, 10_000, now);
    this.patients = new LookupCache(ttlMs, maxPatients, now);
  }

  organization(id: string): Promise<OrganizationSettings> {
    return this.orgs.get(id, async () => {
      const { rows } = await this.pool.query<OrganizationRow>(`SELECT ${ORGANIZATION_COLUMNS} FROM organizations WHERE id = $1`, [id]);
      const r = rows[0];
      if (r === undefined) throw new CareloopError('NOT_FOUND', `organisation ${id} does not exist`);
      return organizationOf(r);
    });
  }

  patient(organizationId: string, patientId: string): Promise<PatientProfile> {
    return this.patients.get(`${organizationId}/${patientId}`, async () => {
      const { rows } = await this.pool.query<{ id: string; organization_id: string; preferred_language: string; timezone: string | null; status: PatientProfile['status']; meds: SealedMedication[] | null }>(
        `SELECT p.id, p.organization_id, p.preferred_language, p.timezone, p.status,
                (SELECT json_agg(json_build_object('id', m.id, 'name', m.name, 'dose', m.dose, 'scheduleTimes', m.schedule_times, 'instructions', m.instructions,
                                                   'keyId', m.key_id, 'sealed', encode(m.sealed, 'base64')) ORDER BY m.created_at, m.id)
                   FROM patient_medications m WHERE m.patient_id = p.id AND m.active) AS meds
           FROM patients p WHERE p.id = $1 AND p.organization_id = $2`, [patientId, organizationId]);
      const r = rows[0];
      if (r === undefined) throw new CareloopError('NOT_FOUND', 'patient not found in this organisation');
      const medications = await Promise.all((r.meds ?? []).map(async (m): Promise<Medication> => {
        const text = await openCarePlanText(this.keyring, {
          id: m.id, patient_id: r.id, organization_id: r.organization_id, key_id: m.keyId, sealed: m.sealed === null ? null : Buffer.from(m.sealed, 'base64'),
          name: m.name, dose: m.dose, instructions: m.instructions,
        });
        return { id: m.id, name: text.name, dose: text.dose, scheduleTimes: m.scheduleTimes, instructions: text.instructions };
      }));
      return { id: r.id, organizationId: r.organization_id, preferredLanguage: r.preferred_language, timeZone: r.timezone, status: r.status, medications };
    });
  }

  /** patientTimeZone of a patient, looked up. */
  async timeZone(organizationId: string, patientId: string): Promise<string> {
    const [org, patient] = await Promise.all([this.organization(organizationId), this.patient(organizationId, patientId)]);
    return patientTimeZone(patient, org);
  }
}
