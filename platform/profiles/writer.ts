/*
 * Write access to the profile store, for profiling/ alone (eslint forbids importing this file
 * anywhere else): the other services read through ProfileStore.
 */
import { encodeProfile } from './codec.js';
import type { ProfileFeatures } from './features.js';
import { ProfileStore, toParts, type SegmentTable } from './store.js';

export class ProfileWriter extends ProfileStore {
  /**
   * Saves profiles (patient id → features), each replacing the whole entity as redis-om's save does,
   * but the whole batch in one MULTI round trip (redis-om sends one MULTI per entity).
   */
  async saveMany(profiles: ReadonlyMap<string, ProfileFeatures>): Promise<void> {
    if (profiles.size === 0) return;
    const tx = this.client.multi();
    for (const [id, p] of profiles) {
      const key = this.keyOf(id);
      tx.unlink(key).hSet(key, toParts(encodeProfile(p)));
    }
    await tx.exec();
  }

  async remove(patientIds: readonly string[]): Promise<void> {
    if (patientIds.length > 0) await this.repo.remove([...patientIds]);
  }

  async saveSegments(table: SegmentTable): Promise<void> {
    await this.client.set(this.segmentsKey(table.organizationId), JSON.stringify(table));
  }
}
