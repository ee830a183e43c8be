/**
 * The organisation's service directory as the matcher reads it, built from FHIR HealthcareService and
 * Location resources (as imported, references already ours). Pure: the I/O that loads them lives in
 * the service that uses it.
 */
export interface Position { lat: number; lon: number }

/** FHIR availableTime / hoursOfOperation: days are mon…sun, times "HH:MM[:SS]" in the organisation's zone. */
export interface OpeningHours { days: readonly string[]; allDay: boolean; opens: string | null; closes: string | null }

export interface DirectoryLocation {
  id: string;
  name: string;
  position: Position | null;
  hours: readonly OpeningHours[];
}

export interface DirectoryService {
  id: string;
  name: string;
  /** Free texts of type, specialty, category and the comment: matched like the name. */
  texts: readonly string[];
  /** "system|code" of type, specialty and category. */
  codes: readonly string[];
  /** BCP-47 primary tags it speaks (HealthcareService.communication); empty when unknown. */
  languages: readonly string[];
  /** Own hours (availableTime); empty: the location's hours apply. */
  hours: readonly OpeningHours[];
  locations: readonly DirectoryLocation[];
}

type R = Record<string, unknown>;
const arr = (v: unknown): R[] => (Array.isArray(v) ? v.filter((x): x is R => typeof x === 'object' && x !== null) : []);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function concepts(v: unknown): { codes: string[]; texts: string[] } {
  const ccs = Array.isArray(v) ? arr(v) : arr(v === undefined ? [] : [v]);
  const codes = ccs.flatMap((cc) => arr(cc['coding']).map((c) => `${str(c['system']) ?? ''}|${str(c['code']) ?? ''}`)).filter((c) => c !== '|');
  const texts = ccs.flatMap((cc) => [str(cc['text']), ...arr(cc['coding']).map((c) => str(c['display']))]).filter((t): t is string => t !== null);
  return { codes, texts };
}

function hoursOf(v: unknown): OpeningHours[] {
  return arr(v).map((h) => ({
    days: Array.isArray(h['daysOfWeek']) ? h['daysOfWeek'].filter((d): d is string => typeof d === 'string') : [],
    allDay: h['allDay'] === true,
    opens: str(h['openingTime']) ?? str(h['availableStartTime']),
    closes: str(h['closingTime']) ?? str(h['availableEndTime']),
  }));
}

export function locationFromFhir(r: R): DirectoryLocation {
  const pos = (r['position'] ?? {}) as R;
  const lat = num(pos['latitude']);
  const lon = num(pos['longitude']);
  return { id: str(r['id']) ?? '', name: str(r['name']) ?? '', position: lat !== null && lon !== null ? { lat, lon } : null, hours: hoursOf(r['hoursOfOperation']) };
}

/** Active services with their locations; a reference to a location not in `locations` is dropped. */
export function directoryFromFhir(services: readonly R[], locations: readonly R[]): DirectoryService[] {
  const byId = new Map(locations.filter((l) => str(l['status']) !== 'inactive').map((l) => [str(l['id']) ?? '', locationFromFhir(l)]));
  return services.filter((s) => s['active'] !== false).map((s) => {
    const parts = [concepts(s['type']), concepts(s['specialty']), concepts(s['category'])];
    const languages = concepts(s['communication']).codes.map((c) => (c.split('|')[1] ?? '').split('-')[0]?.toLowerCase() ?? '').filter((l) => l !== '');
    const locs = arr(s['location']).map((l) => str(l['reference'])?.replace(/^Location\//, '') ?? '').map((id) => byId.get(id)).filter((l): l is DirectoryLocation => l !== undefined);
    return {
      id: str(s['id']) ?? '', name: str(s['name']) ?? '',
      texts: [...parts.flatMap((p) => p.texts), ...[str(s['comment'])].filter((t): t is string => t !== null)],
      codes: parts.flatMap((p) => p.codes), languages: [...new Set(languages)], hours: hoursOf(s['availableTime']), locations: locs,
    };
  });
}
