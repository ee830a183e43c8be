import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Config } from '../platform/config/config.js';
import { CareloopError } from '../platform/errors.js';
import { prepare } from '../platform/bootstrap.js';
import { repoRoot } from '../platform/paths.js';
import { stackUp } from '../stack/index.js';
import { progressPrinter } from './output.js';
import { UsageError } from './usage.js';

export interface TestOptions {
  files: readonly string[];
  tier: string;
  driver: string | undefined;
  stack: boolean;
}

const TIERS = ['unit', 'int', 'e2e'] as const;

function findTests(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) findTests(p, out);
    else if (/\.(unit|int|e2e)\.test\.js$/.test(entry.name)) out.push(p);
  }
  return out.sort();
}

/** Maps a source path (foo.int.test.ts) to its compiled file in dist/. */
function toCompiled(root: string, file: string): string {
  const rel = relative(root, join(process.cwd(), file)).replace(/\.ts$/, '.js');
  const compiled = rel.startsWith('dist/') ? join(root, rel) : join(root, 'dist', rel);
  if (!existsSync(compiled)) throw new CareloopError('VALIDATION_FAILED', `no compiled test for ${file} (looked for ${compiled})`);
  return compiled;
}

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

// The files that take a minute or more: started first, so two of them never finish the run alone.
const LONGEST = ['hapi-validation.int', 'reminders-kill.e2e', 'fhir-import.e2e', 'sms.e2e', 'booking.e2e', 'portal.e2e', 'reminders-imported.e2e', 'workflow-publish.e2e'];

/** The files in run order: the known long ones first (in LONGEST's order), then the rest as found. */
export function longestFirst(files: readonly string[]): string[] {
  const rank = (f: string): number => { const i = LONGEST.findIndex((n) => f.endsWith(`${n}.test.js`)); return i === -1 ? LONGEST.length : i; };
  return files.map((f, i) => ({ f, i, r: rank(f) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.f);
}

/**
 * `careloop test`: lint and generated-code checks, the local stack for integration tiers, then
 * node's test runner over the compiled tests. The exit code is the runner's.
 */
export async function runTests(cfg: Config, opts: TestOptions): Promise<number> {
  const root = repoRoot();
  if (opts.tier !== 'all' && !(TIERS as readonly string[]).includes(opts.tier)) {
    throw new UsageError(`--tier must be unit, int, e2e or all; got ${opts.tier}`);
  }
  const files = opts.files.length > 0
    ? opts.files.map((f) => toCompiled(root, f))
    : findTests(join(root, 'dist')).filter((f) => opts.tier === 'all' || f.endsWith(`.${opts.tier}.test.js`));
  if (files.length === 0) throw new CareloopError('VALIDATION_FAILED', 'no test files matched');
  const say = progressPrinter();
  const needsStack = files.some((f) => !f.endsWith('.unit.test.js'));
  // Lint and the stack come up side by side: neither needs the other.
  const checks = async (): Promise<number> => {
    if (opts.tier !== 'all' || opts.files.length > 0) return 0;
    say('test', 'checking generated Avro types and linting (eslint)');
    if ((await run('node', [join(root, 'scripts/gen-avro-types.mjs'), '--check'], process.env)) !== 0) return 1;
    if ((await run(join(root, 'node_modules/.bin/eslint'), ['--max-warnings=0', root], process.env)) !== 0) {
      console.error('careloop: lint failed (above); fix the reported lines.');
      return 1;
    }
    return 0;
  };
  const stack = async (): Promise<void> => {
    if (!needsStack || !opts.stack) return;
    await stackUp(cfg, { repoRoot: root, reporter: { progress: say } });
    await prepare(cfg, (step) => say('prepare', step));
  };
  const [checked] = await Promise.all([checks(), stack()]);
  if (checked !== 0) return checked;
  const env: NodeJS.ProcessEnv = { ...process.env, CARELOOP_ENV: 'test' };
  if (opts.driver !== undefined) env['CARELOOP_KAFKA_DRIVER'] = opts.driver;
  say('test', `running ${files.length} test files`);
  return run(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=2', '--test-timeout=300000', ...longestFirst(files)], env);
}
