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
  constructor(private readonly pool: PgPool, private readonly routes: RouteTable) {}

  async of(organizationId: string, patientId: string): Promise<Reachability> {
    const [instances, { rows }] = await Promise.all([
      this.routes.instancesOf(patientId),
      this.pool.query<{ preference: string | null; devices: string; sms: boolean }>(
        `SELECT (SELECT channel FROM channel_preferences WHERE patient_id = p.id AND organization_id = p.organization_id) AS preference,
                (SELECT count(*) FROM push_devices d WHERE d.patient_id = p.id AND d.organization_id = p.organization_id) AS devices,
                (p.status = 'active'
                  AND EXISTS (SELECT 1 FROM vault.blind_indexes b WHERE b.patient_id = p.id AND b.organization_id = p.organization_id AND b.kind = 'phone')
                  AND EXISTS (SELECT 1 FROM consents c WHERE c.patient_id = p.id AND c.channel = 'sms' AND c.granted)) AS sms
           FROM patients p WHERE p.id = $1 AND p.organization_id = $2`, [patientId, organizationId]),
    ]);
    const row = rows[0];
    const preference = row?.preference === 'web' || row?.preference === 'push' || row?.preference === 'sms' ? row.preference.toUpperCase() as DeliveryChannel : null;
    return { preference, connected: instances.length > 0, pushDevices: Number(row?.devices ?? 0), smsAllowed: row?.sms === true, outcomes: {} };
  }
}
