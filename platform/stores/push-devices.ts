import { createHash } from 'node:crypto';
import type { Keyring } from '../crypto/keyring.js';
import type { PgPool } from '../storage/postgres.js';

/** A Web Push subscription as the browser's PushManager gives it. */
export interface WebPushSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export type PushDevice =
  | { id: string; kind: 'webpush'; subscription: WebPushSubscription }
  | { id: string; kind: 'fcm'; token: string };

/** The device's id: a hash of its endpoint or token, so registering twice is one row. */
export function deviceId(kind: PushDevice['kind'], address: string): string {
  return createHash('sha256').update(`${kind}|${address}`).digest('hex').slice(0, 40);
}

/**
 * Registered push devices per patient (PostgreSQL push_devices). Endpoints and tokens identify a
 * device, so they are sealed under the organisation's key for the patient, like chat text.
 */
export class PushDevices {
  constructor(private readonly pool: PgPool, private readonly keyring: Keyring) {}

  async register(organizationId: string, patientId: string, device: { kind: 'webpush'; subscription: WebPushSubscription } | { kind: 'fcm'; token: string }): Promise<string> {
    const address = device.kind === 'webpush' ? device.subscription.endpoint : device.token;
    const id = deviceId(device.kind, address);
    const sealed = await this.keyring.sealText(organizationId, patientId, JSON.stringify(device.kind === 'webpush' ? device.subscription : device.token));
    await this.pool.query(
      `INSERT INTO push_devices (id, organization_id, patient_id, kind, key_id, nonce, ciphertext) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET organization_id = $2, patient_id = $3, key_id = $5, nonce = $6, ciphertext = $7, created_at = now()`,
      [id, organizationId, patientId, device.kind, sealed.keyId, sealed.nonce, sealed.ciphertext]);
    return id;
  }

  async count(organizationId: string, patientId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM push_devices WHERE organization_id = $1 AND patient_id = $2', [organizationId, patientId]);
    return Number(rows[0]?.n ?? 0);
  }

  async list(organizationId: string, patientId: string): Promise<PushDevice[]> {
    const { rows } = await this.pool.query<{ id: string; kind: 'webpush' | 'fcm'; key_id: string; nonce: Buffer; ciphertext: Buffer }>(
      'SELECT id, kind, key_id, nonce, ciphertext FROM push_devices WHERE organization_id = $1 AND patient_id = $2 ORDER BY created_at', [organizationId, patientId]);
    return Promise.all(rows.map(async (r): Promise<PushDevice> => {
      const value = JSON.parse(await this.keyring.openText(organizationId, patientId, { keyId: r.key_id, nonce: r.nonce, ciphertext: r.ciphertext })) as unknown;
      return r.kind === 'webpush' ? { id: r.id, kind: 'webpush', subscription: value as WebPushSubscription } : { id: r.id, kind: 'fcm', token: value as string };
    }));
  }

  /** Removes one device of the patient; false when it was not theirs or not there. */
  async remove(organizationId: string, patientId: string, id: string): Promise<boolean> {
    const res = await this.pool.query('DELETE FROM push_devices WHERE id = $1 AND organization_id = $2 AND patient_id = $3', [id, organizationId, patientId]);
    return (res.rowCount ?? 0) > 0;
  }

  async touch(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.pool.query('UPDATE push_devices SET last_used_at = now() WHERE id = ANY($1)', [[...ids]]);
  }

  /** Erasure: every device of the patient. */
  async forgetPatient(patientId: string): Promise<void> {
    await this.pool.query('DELETE FROM push_devices WHERE patient_id = $1', [patientId]);
    await this.pool.query('DELETE FROM channel_preferences WHERE patient_id = $1', [patientId]);
  }
}
