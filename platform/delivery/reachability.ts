import type { PgPool } from '../storage/postgres.js';
import type { RouteTable } from '../stores/routing.js';
import type { DeliveryChannel, Reachability } from './channel.js';

/**
 * Reads what the channel choice needs: the route table (connected now) from Redis, and from
 * PostgreSQL in one query the preference, registered push devices and whether SMS is allowed (a
 * phone in the vault's blind index, the patient active, SMS consent granted). Outcomes stay empty
 * until the personalisation work records them.
 */
export class ReachabilityReader {
  /** vaultPool: the vault database when it is not the same as pool (postgres.vaultUrl). */
  constructor(private readonly pool: PgPool, private readonly routes: RouteTable, private readonly vaultPool: PgPool = pool) {}

  async of(organizationId: string, patientId: string): Promise<Reachability> {
    const apart = this.vaultPool !== this.pool;
    const phone = apart ? 'true' : `EXISTS (SELECT 1 FROM vault.blind_indexes b WHERE b.patient_id = p.id AND b.organization_id = p.organization_id AND b.kind = 'phone')`;
    const [instances, { rows }, vaultRows] = await Promise.all([
      this.routes.instancesOf(patientId),
      this.pool.query<{ preference: string | null; devices: string; sms: boolean }>(
        `SELECT (SELECT channel FROM channel_preferences WHERE patient_id = p.id AND organization_id = p.organization_id) AS preference,
                (SELECT count(*) FROM push_devices d WHERE d.patient_id = p.id AND d.organization_id = p.organization_id) AS devices,
                (p.status = 'active'
                  AND ${phone}
                  AND EXISTS (SELECT 1 FROM consents c WHERE c.patient_id = p.id AND c.channel = 'sms' AND c.granted)) AS sms
           FROM patients p WHERE p.id = $1 AND p.organization_id = $2`, [patientId, organizationId]),
      // A vault database of its own: whether a phone is on file is asked there.
      apart ? this.vaultPool.query(`SELECT 1 FROM vault.blind_indexes WHERE patient_id = $1 AND organization_id = $2 AND kind = 'phone' LIMIT 1`, [patientId, organizationId]) : null,
    ]);
    const row = rows[0];
    const preference = row?.preference === 'web' || row?.preference === 'push' || row?.preference === 'sms' ? row.preference.toUpperCase() as DeliveryChannel : null;
    return { preference, connected: instances.length > 0, pushDevices: Number(row?.devices ?? 0), smsAllowed: row?.sms === true && (vaultRows === null || vaultRows.rows.length > 0), outcomes: {} };
  }
}
