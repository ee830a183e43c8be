/*
 * Write access to the profile store, for profiling/ alone (eslint forbids importing this file
 * anywhere else): the other services read through ProfileStore.
 */
import { encodeProfile } from './codec.js';
import type { ProfileFeatures, Scores } from './features.js';
import { PART_FIELDS, ProfileStore, SCORES_FIELD, scoresToField, toParts, type SegmentTable } from './store.js';

export class ProfileWriter extends ProfileStore {
  /**
   * Saves profiles (patient id → features): the parts are replaced (stale trailing parts removed) in
   * one MULTI round trip for the whole batch (redis-om's save sends one MULTI per entity, and its
   * unlink would drop the scores field).
   */
  async saveMany(profiles: ReadonlyMap<string, ProfileFeatures>): Promise<void> {
    if (profiles.size === 0) return;
    const tx = this.client.multi();
    for (const [id, p] of profiles) {
      const key = this.keyOf(id);
      const parts = toParts(encodeProfile(p));
      const stale = PART_FIELDS.slice(Object.keys(parts).length);
      tx.hSet(key, parts);
      if (stale.length > 0) tx.hDel(key, stale);
    }
    await tx.exec();
  }

  /** The daily job's scores (patient id → scores), in the field the consumer never writes. */
  async saveScores(scores: ReadonlyMap<string, Scores>): Promise<void> {
    if (scores.size === 0) return;
    const tx = this.client.multi();
    for (const [id, s] of scores) tx.hSet(this.keyOf(id), SCORES_FIELD, scoresToField(s));
    await tx.exec();
  }

  async remove(patientIds: readonly string[]): Promise<void> {
    if (patientIds.length > 0) await this.repo.remove([...patientIds]);
  }

  /** True for the one caller that claims a day's scoring run (the others skip it); kept two days. */
  async claimScoringDay(day: number): Promise<boolean> {
    return (await this.client.set(`${this.prefix}profile-scoring:${day}`, '1', { NX: true, EX: 2 * 86_400 })) !== null;
  }

  async saveSegments(table: SegmentTable): Promise<void> {
    await this.client.set(this.segmentsKey(table.organizationId), JSON.stringify(table));
  }
}
