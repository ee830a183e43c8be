import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../platform/paths.js';

// A guard is real only when a fixture shows it failing: the import-cycle rule once read no
// TypeScript file at all and passed every cycle. The fixture tree mirrors the repository layout and
// is linted with the real eslint.config.js; a line marked `// lint-expect: <rule>` must be rejected
// by that rule, and nothing else anywhere in the tree may be.
const root = repoRoot();
const tree = join(root, 'test', 'lint-fixtures', 'tree');
const files = (readdirSync(tree, { recursive: true, encoding: 'utf8' }))
  .filter((f) => f.endsWith('.ts')).map((f) => join(tree, f)).sort();

function expected(): string[] {
  const out: string[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      const rules = /\/\/ lint-expect: (.+)$/.exec(line)?.[1];
      for (const rule of rules?.split(',') ?? []) out.push(`${relative(tree, file)}:${i + 1} ${rule.trim()}`);
    });
  }
  return out.sort();
}

interface EslintResult { filePath: string; messages: Array<{ ruleId: string | null; line: number; message: string }> }

function lint(): EslintResult[] {
  // --no-ignore: the normal run ignores the fixtures; nothing else differs from `eslint .`.
  const run = spawnSync(join(root, 'node_modules', '.bin', 'eslint'), ['--no-ignore', '--format', 'json', ...files],
    { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.ok(run.status === 0 || run.status === 1, `eslint failed to run (status ${String(run.status)}): ${run.stderr}`);
  return JSON.parse(run.stdout) as EslintResult[];
}

test('the real lint config rejects exactly the marked fixture lines and accepts every clean fixture', () => {
  const want = expected();
  // Every guard has a fixture it must reject, so none can pass by reading nothing.
  for (const rule of ['import-x/no-cycle', 'import-x/no-restricted-paths', 'no-restricted-imports', 'no-restricted-syntax']) {
    assert.ok(want.some((w) => w.endsWith(` ${rule}`)), `no fixture for ${rule}`);
  }
  const results = lint();
  assert.deepEqual(results.map((r) => r.filePath).sort(), files, 'every fixture file was linted');
  // One line may break one rule through several zones; a line and rule count once.
  const got = [...new Set(results.flatMap((r) => r.messages.map((m) => `${relative(tree, r.filePath)}:${m.line} ${m.ruleId ?? `(no rule) ${m.message}`}`)))].sort();
  assert.deepEqual(got, want);
  const clean = files.filter((f) => !want.some((w) => w.startsWith(`${relative(tree, f)}:`)));
  assert.ok(clean.length >= 5, `clean fixtures are linted too: ${clean.map((f) => relative(tree, f)).join(', ')}`);
});
