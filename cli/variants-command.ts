import type { Config } from '../platform/config/config.js';
import { createLogger } from '../platform/log.js';
import { variantResults, type VariantResult } from '../platform/personalisation/results.js';
import { Dependencies } from '../platform/service/dependencies.js';
import { BanditStore } from '../platform/stores/bandit-store.js';
import { UsageError } from './usage.js';

export const VARIANTS_HELP = `Usage: careloop variants results --org <organizationId> [--json]

Prints the message-variant bandit's results for one organisation: for each message (workflow /
text id / language) and segment, each variant's sends, rewards (the reward its \`say\` defines),
reward rate, 95 % credible interval (Beta(1, 1) prior) and the chance it is the best. Ids and
counts only: no message text.
  --json   one JSON object {organizationId, results: [...]}`;

/** The organisation's results, message by message (pure, for the test). */
export function collectResults(view: ReadonlyMap<string, ReadonlyMap<string, Array<{ sends: number; rewards: number }>>>): VariantResult[] {
  const out: VariantResult[] = [];
  for (const [segment, messages] of view) {
    for (const message of [...messages.keys()].sort()) out.push(...variantResults(message, segment, messages.get(message) ?? []));
  }
  return out;
}

export function formatResults(rows: readonly VariantResult[]): string[] {
  const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
  return rows.map((r) => [r.message, r.segment, `variant ${r.variant}`, `sends ${r.sends}`, `rewards ${r.rewards}`, `rate ${pct(r.rate)}`,
    `95 % CrI ${pct(r.low)}–${pct(r.high)}`, `P(best) ${pct(r.probabilityBest)}`].join('  '));
}

export async function variantsResults(cfg: Config, organizationId: string | undefined, json: boolean): Promise<number> {
  if (organizationId === undefined) throw new UsageError('variants results needs --org <organizationId>; see careloop variants --help');
  const deps = new Dependencies(cfg, createLogger({ level: 'warn' }));
  try {
    const store = new BanditStore(await deps.redis(), cfg.redis.keyPrefix, 1);
    const rows = collectResults(await store.organisation(organizationId));
    if (json) { console.log(JSON.stringify({ organizationId, results: rows })); return 0; }
    console.log(`organisation ${organizationId}: ${rows.length} variant${rows.length === 1 ? '' : 's'} with results`);
    for (const line of formatResults(rows)) console.log(`  ${line}`);
    return 0;
  } finally {
    await deps.close();
  }
}
