import type { ProfileStore } from '../profiles/store.js';
import type { SegmentLookup } from './runner.js';

/** Cohort segments from the behavioural profiles (Redis): each patient's current segment name. */
export function profileSegments(profiles: ProfileStore): SegmentLookup {
  return async (organizationId, patientIds) => {
    const [table, features] = await Promise.all([profiles.segments(organizationId), profiles.getMany(patientIds)]);
    const names = new Map((table?.segments ?? []).map((s) => [s.index, s.name]));
    const out = new Map<string, string>();
    patientIds.forEach((id, i) => {
      const name = names.get(features[i]?.scores.segment ?? 0);
      if (features[i] != null && name !== undefined && name !== '') out.set(id, name);
    });
    return out;
  };
}
