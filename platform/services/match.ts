import type { DirectoryLocation, DirectoryService, Position } from './directory.js';
import { openAt } from './hours.js';
import { SERVICE_CONCEPTS, type ServiceConcept } from './vocabulary.js';

/*
 * Finding services: a patient's request → the directory's services that fit, best first, each with
 * one line saying why. Pure; the score is relevance (concepts, then name words), then language,
 * opening hours and distance order what is left.
 */

export interface FindRequest {
  text: string;
  language: 'en' | 'es';
  /** The time asked about (ms since the epoch); absent: any time. */
  at?: number;
  timeZone: string;
  /** The patient's language when the profile knows it (a BCP-47 primary tag). */
  patientLanguage?: string;
  /** The patient's position, opened from the vault for this call only. */
  position?: Position;
  limit?: number;
  /** Concept ids already read from the text (the NLU's service entity); they replace reading `text`. */
  concepts?: readonly string[];
}

export interface ServiceMatch {
  serviceId: string;
  locationId: string | null;
  score: number;
  distanceKm: number | null;
  why: string;
}

const STOP = new Set(['the', 'and', 'for', 'with', 'need', 'want', 'where', 'can', 'get', 'have', 'una', 'un', 'el', 'la', 'los', 'las', 'de', 'del', 'que', 'para', 'con', 'donde', 'hay', 'necesito', 'quiero', 'clinic', 'clinica', 'service', 'servicio', 'centro', 'center', 'centre', 'unit', 'unidad', 'department', 'departamento']);

export function normalizeText(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

/** Does the phrase occur in the normalised text, its last word as a stem (whole word up to 3 letters)? */
function hasPhrase(words: readonly string[], phrase: string): boolean {
  const p = phrase.split(' ');
  const last = p[p.length - 1] ?? '';
  for (let i = 0; i + p.length <= words.length; i++) {
    let ok = true;
    for (let j = 0; j < p.length && ok; j++) {
      const w = words[i + j] ?? '';
      const q = p[j] ?? '';
      ok = j < p.length - 1 ? w === q : (last.length <= 3 ? w === q || w === `${q}s` : w.startsWith(q));
    }
    if (ok) return true;
  }
  return false;
}

/** Concepts a text mentions, with how many of their terms it uses (either language: patients mix). */
export function conceptsIn(text: string): Map<string, number> {
  const words = normalizeText(text).split(' ').filter((w) => w !== '');
  const out = new Map<string, number>();
  for (const c of SERVICE_CONCEPTS) {
    const hits = [...c.en, ...c.es].filter((t) => hasPhrase(words, t)).length;
    if (hits > 0) out.set(c.id, hits);
  }
  return out;
}

function serviceConcepts(s: DirectoryService): Set<string> {
  const fromCodes = SERVICE_CONCEPTS.filter((c) => c.codes.some((code) => s.codes.includes(code))).map((c) => c.id);
  return new Set([...fromCodes, ...conceptsIn([s.name, ...s.texts].join(' ')).keys()]);
}

const contentWords = (t: string): Set<string> => new Set(normalizeText(t).split(' ').filter((w) => w.length >= 4 && !STOP.has(w)));

export function distanceKm(a: Position, b: Position): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 6371 * 2 * Math.asin(Math.sqrt(h));
}

interface Candidate { s: DirectoryService; loc: DirectoryLocation | null; score: number; open: boolean | null; speaks: boolean | null; km: number | null; matched: ServiceConcept[] }

function candidatesOf(s: DirectoryService, req: FindRequest, asked: Map<string, number>, words: Set<string>): Candidate[] {
  const offered = serviceConcepts(s);
  const matched = SERVICE_CONCEPTS.filter((c) => asked.has(c.id) && offered.has(c.id));
  const nameHits = [...contentWords([s.name, ...s.texts].join(' '))].filter((w) => words.has(w)).length;
  // A request that names a concept is answered only by services offering it; name words break ties.
  if (asked.size > 0 && matched.length === 0) return [];
  // A service offering concepts nobody asked for (a children's dentist, for "a doctor for my daughter") ranks after one that does not.
  const extra = asked.size > 0 ? [...offered].filter((c) => !asked.has(c)).length : 0;
  const relevance = matched.reduce((n, c) => n + 10 * (asked.get(c.id) ?? 0), 0) + nameHits - extra;
  if (relevance === 0) return [];
  const speaks = req.patientLanguage === undefined || s.languages.length === 0 ? null : s.languages.includes(req.patientLanguage);
  const locs: Array<DirectoryLocation | null> = s.locations.length > 0 ? [...s.locations] : [null];
  return locs.map((loc) => {
    const open = req.at === undefined ? null : openAt(s.hours.length > 0 ? s.hours : loc?.hours ?? [], req.at, req.timeZone);
    const km = req.position !== undefined && loc?.position ? distanceKm(req.position, loc.position) : null;
    return { s, loc, score: relevance + (speaks === true ? 2 : speaks === false ? -3 : 0), open, speaks, km, matched };
  }).filter((c) => c.open !== false);
}

function why(c: Candidate, lang: 'en' | 'es'): string {
  const es = lang === 'es';
  const parts: string[] = [];
  if (c.matched.length > 0) parts.push((es ? 'ofrece ' : 'offers ') + c.matched.map((m) => m.label[lang]).join(', '));
  else parts.push(es ? 'su nombre coincide con lo que pidió' : 'its name matches what you asked for');
  if (c.open === true) parts.push(es ? 'abierto a esa hora' : 'open at that time');
  if (c.speaks === true) parts.push(es ? 'atiende en su idioma' : 'speaks your language');
  if (c.km !== null) parts.push(`${c.km.toFixed(1)} km`);
  const where = c.loc !== null && c.loc.name !== '' ? ` (${c.loc.name})` : '';
  return `${c.s.name}${where}: ${parts.join('; ')}`;
}

/** The services that fit the request, best first (at most `limit`, 3 by default); empty when none fit. */
export function findServices(directory: readonly DirectoryService[], req: FindRequest): ServiceMatch[] {
  const asked = req.concepts !== undefined ? new Map(req.concepts.map((c) => [c, 1])) : conceptsIn(req.text);
  const words = contentWords(req.text);
  const all = directory.flatMap((s) => candidatesOf(s, req, asked, words));
  all.sort((a, b) => b.score - a.score || (b.open === true ? 1 : 0) - (a.open === true ? 1 : 0)
    || (a.km ?? Infinity) - (b.km ?? Infinity) || a.s.id.localeCompare(b.s.id));
  const seen = new Set<string>();
  const out: ServiceMatch[] = [];
  for (const c of all) {
    if (seen.has(c.s.id)) continue; // one line per service: its best location
    seen.add(c.s.id);
    out.push({ serviceId: c.s.id, locationId: c.loc?.id ?? null, score: c.score, distanceKm: c.km, why: why(c, req.language) });
    if (out.length >= (req.limit ?? 3)) break;
  }
  return out;
}
