import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { generateDispenses, generatePharmacies, generateSites, patientFactsOf, sitePlacesOf, type GenerateOptions, type SitePlace } from './generate.js';
import { readFiles } from './readers.js';
import { expandInputs } from './run.js';

/*
 * The generator (generate.ts) over a Synthea output directory: hospitalInformation first (the
 * sites), then each patient Bundle streamed (bounded memory). Writes one NDJSON file per type,
 * named so `careloop import fhir` imports them in order around Synthea's Bundles.
 */

export const EXTRA_FILES = ['Location', 'HealthcareService', 'Schedule', 'Slot', 'MedicationDispense'] as const;
export type ExtraCounts = Record<(typeof EXTRA_FILES)[number], number> & { patients: number; sites: number };

async function write(stream: WriteStream, lines: readonly Record<string, unknown>[]): Promise<void> {
  for (const l of lines) if (!stream.write(`${JSON.stringify(l)}\n`)) await new Promise<void>((r) => { stream.once('drain', () => { r(); }); });
}

/** Writes `<outDir>/<Type>.ndjson` for the Synthea output in `syntheaDir`; returns the counts. */
export async function writeSyntheaExtras(syntheaDir: string, outDir: string, opts: GenerateOptions): Promise<ExtraCounts> {
  await mkdir(outDir, { recursive: true });
  const streams = Object.fromEntries(EXTRA_FILES.map((t) => [t, createWriteStream(join(outDir, `${t}.ndjson`))])) as Record<(typeof EXTRA_FILES)[number], WriteStream>;
  const counts: ExtraCounts = { Location: 0, HealthcareService: 0, Schedule: 0, Slot: 0, MedicationDispense: 0, patients: 0, sites: 0 };
  const places: SitePlace[] = [];
  let pharmacies: Record<string, unknown>[] | null = null;
  const emit = async (type: (typeof EXTRA_FILES)[number], rs: readonly Record<string, unknown>[]): Promise<void> => { counts[type] += rs.length; await write(streams[type], rs); };
  const emitSites = async (): Promise<Record<string, unknown>[]> => {
    const sites = generateSites(places, opts);
    const ph = generatePharmacies(places.map((p) => p.position), opts);
    counts.sites = sites.services.length;
    await emit('Location', [...ph, ...sites.locations]);
    await emit('HealthcareService', sites.services);
    await emit('Schedule', sites.schedules);
    await emit('Slot', sites.slots);
    return ph;
  };
  try {
    for await (const unit of readFiles(await expandInputs([syntheaDir]), { maxResourceBytes: 16 << 20, unitSize: 1000 })) {
      const resources = unit.entries.flatMap((e) => (e.resource !== undefined ? [e.resource] : []));
      if (basename(unit.file).startsWith('hospitalInformation')) { places.push(...sitePlacesOf(resources)); continue; }
      pharmacies ??= await emitSites();
      const facts = patientFactsOf(resources);
      if (facts === null) continue;
      counts.patients += 1;
      await emit('MedicationDispense', generateDispenses(facts, pharmacies, opts));
    }
    if (pharmacies === null) await emitSites();
  } finally {
    await Promise.all(Object.values(streams).map((s) => new Promise<void>((r) => { s.end(r); })));
  }
  return counts;
}
