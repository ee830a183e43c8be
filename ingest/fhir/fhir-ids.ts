/*
 * Our ids are `<prefix>_<base62>` (pt_…, mr_…); an R4 id allows only [A-Za-z0-9-.]. At the FHIR
 * boundary the underscore becomes a hyphen, both ways: stable, reversible, nothing else changes.
 */

const OURS = /^([a-z]{2,3})_([0-9A-Za-z]{22})$/;
const THEIRS = /^([a-z]{2,3})-([0-9A-Za-z]{22})$/;
const OUR_REFERENCE = /^([A-Z][A-Za-z]+)\/([a-z]{2,3})_([0-9A-Za-z]{22})$/;

export function toFhirId(id: string): string {
  return id.replace(OURS, '$1-$2');
}

export function fromFhirId(id: string): string {
  return id.replace(THEIRS, '$1_$2');
}

/** The resource as FHIR shows it: its id and every reference to one of ours rewritten (in place). */
export function fhirFacing<T extends Record<string, unknown>>(resource: T): T {
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) { v.forEach(walk); return; }
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    const ref = o['reference'];
    if (typeof ref === 'string') o['reference'] = ref.replace(OUR_REFERENCE, '$1/$2-$3');
    for (const x of Object.values(o)) if (typeof x === 'object') walk(x);
  };
  walk(resource);
  if (typeof resource['id'] === 'string') (resource as Record<string, unknown>)['id'] = toFhirId(resource['id']);
  return resource;
}
