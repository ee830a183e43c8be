/*
 * Write access to the profile store, for profiling/ alone (eslint forbids importing this file
 * anywhere else): the other services read through ProfileStore.
 */
import { encodeProfile } from './codec.js';
import type { ProfileFeatures } from './features.js';
import { ProfileStore, type SegmentTable } from './store.js';

export class ProfileWriter extends ProfileStore {
  /** Saves profiles (patient id → features); each write replaces the whole entity. */
  async saveMany(profiles: ReadonlyMap<string, ProfileFeatures>): Promise<void> {
    await Promise.all([...profiles].map(([id, p]) => this.repo.save(id, { features: Buffer.from(encodeProfile(p)).toString('base64') })));
  }

  async remove(patientIds: readonly string[]): Promise<void> {
    if (patientIds.length > 0) await this.repo.remove([...patientIds]);
  }

  async saveSegments(table: SegmentTable): Promise<void> {
    await this.client.set(this.segmentsKey(table.organizationId), JSON.stringify(table));
  }
}
