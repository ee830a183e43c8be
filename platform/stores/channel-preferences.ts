import type { PgPool } from '../storage/postgres.js';

export type PreferredChannel = 'web' | 'push' | 'sms';

/** The channel a patient asked to be reached on (channel_preferences); the channel choice reads it. */
export class ChannelPreferences {
  constructor(private readonly pool: PgPool) {}

  /** null clears the preference: the product's own order applies again. */
  async set(organizationId: string, patientId: string, channel: PreferredChannel | null): Promise<void> {
    if (channel === null) {
      await this.pool.query('DELETE FROM channel_preferences WHERE patient_id = $1 AND organization_id = $2', [patientId, organizationId]);
      return;
    }
    await this.pool.query(
      `INSERT INTO channel_preferences (patient_id, organization_id, channel) VALUES ($1, $2, $3)
       ON CONFLICT (patient_id) DO UPDATE SET channel = $3, updated_at = now() WHERE channel_preferences.organization_id = $2`, [patientId, organizationId, channel]);
  }
}
