// Lint rules that guard the architecture: service folders never import one another, no import
// cycles, pure libraries import no I/O and read no clock, production code imports no test support,
// no promise left unawaited. test/lint-guards.unit.test.ts proves each guard rejects a fixture.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const root = import.meta.dirname;
// The guards' fixtures mirror the repository layout under this folder; every path rule below holds
// there too, so the fixture test lints them with this very config (the normal run ignores them).
const FIXTURES = 'test/lint-fixtures/tree';
const ROOTS = ['', `${FIXTURES}/`];
const at = (...globs) => ROOTS.flatMap((r) => globs.map((g) => `${r}${g}`));
const dirs = (...folders) => at(...folders).map((f) => `./${f}`);

const services = ['ingest', 'stream-processors', 'profiling', 'delivery'];
// A service may import the cross-cutting folder and the schemas, never a sibling service, the CLI or the stack.
const serviceZones = ROOTS.flatMap((r) => [
  ...services.map((target) => ({
    target: `./${r}${target}`,
    from: [...services.filter((s) => s !== target), 'cli', 'stack'].map((f) => `./${r}${f}`),
    message: 'A service folder imports only platform/ and schemas/, never another service (see ARCHITECTURE.md).',
  })),
  // The profile store has one writer, profiling/: everyone else reads through platform/profiles/store.ts.
  {
    target: ['ingest', 'stream-processors', 'delivery', 'cli', 'platform'].map((f) => `./${r}${f}`),
    from: `./${r}platform/profiles/writer.ts`,
    message: 'Only profiling/ writes profiles; read them through platform/profiles/store.ts (see ARCHITECTURE.md).',
  },
  // The cross-cutting folder depends on no service.
  {
    target: `./${r}platform`,
    from: [...services, 'cli', 'stack'].map((f) => `./${r}${f}`),
    message: 'platform/ is cross-cutting: it must not depend on services, the CLI or the stack.',
  },
]);

// Test code: everything under test/ and perf/, helpers named test-support.ts, the tests themselves.
// The fixture tree sits under test/ but stands for the repository, so it is taken out, then its own
// test code put back (the last matching pattern decides: list these first in an `ignores`).
const TEST_FILES = ['test/**', 'perf/**', `!${FIXTURES}/**`, ...at('test/**', 'perf/**').slice(2), '**/*.test.ts', '**/test-support.ts'];
const testSupportZone = {
  target: '.',
  // test/ but for the fixture tree, whose own test/ counts.
  from: ['**/test-support.ts', '**/*.test.ts', 'test/*', 'test/!(lint-fixtures)/**', `${FIXTURES}/test/**`],
  message: 'Test support (test-support.ts, test/, *.test.ts) is imported only by tests, test/ and perf/.',
};

// The pure libraries: the workflow language, the NLU core, the safety rules, the lexicons, service finding and booking logic. Their I/O
// edges are named here: the workflow store and publisher (PostgreSQL, Kafka), the NLU's model,
// corpus and training files, the safety model file and its build-time training.
const PURE = at('platform/workflow/**/*.ts', 'platform/nlu/**/*.ts', 'platform/safety/**/*.ts', 'platform/lexicon/**/*.ts', 'platform/services/**/*.ts', 'platform/booking/**/*.ts');
const PURE_EDGES = at('platform/workflow/repository.ts', 'platform/workflow/admin.ts', 'platform/nlu/nlu.ts', 'platform/nlu/corpus.ts', 'platform/nlu/train.ts',
  'platform/safety/model-file.ts', 'platform/safety/dataset.ts', 'platform/safety/train.ts');
const pureZone = {
  target: '.',
  from: dirs('platform/storage', 'platform/stores', 'platform/kafka'),
  message: 'The pure libraries (workflow language, NLU core, safety, lexicon) take storage and Kafka as parameters, never import them.',
};
// Subpaths (fs/promises, redis-om/…) are caught by the patterns.
const IO_PACKAGES = ['pg', 'redis', 'redis-om', '@clickhouse/client', 'kafkajs', 'node-rdkafka', 'fs', 'node:fs'];
const pureImports = {
  paths: IO_PACKAGES.map((name) => ({ name, message: 'A pure library does no I/O: storage, Kafka and files are its caller\'s.' })),
  patterns: [{ group: IO_PACKAGES.map((name) => `${name}/*`), message: 'A pure library does no I/O: storage, Kafka and files are its caller\'s.' }],
};

// The clock comes in as `now`: pure libraries and service logic never read it; each service's
// main.ts wires the real one.
const CLOCKED = at('platform/workflow/**/*.ts', 'platform/nlu/**/*.ts', 'platform/safety/**/*.ts', 'platform/lexicon/**/*.ts', 'stream-processors/**/*.ts', 'ingest/**/*.ts', 'platform/services/**/*.ts', 'platform/booking/**/*.ts');
const clockMessage = 'Read the clock through the injected `now` (wired in the service\'s main.ts), never directly.';
const clockReads = [
  { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: clockMessage },
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: clockMessage },
  { selector: "CallExpression[callee.type='Identifier'][callee.name='Date']", message: clockMessage },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.stack/**', 'perf/k6/**', 'schemas/generated/**', 'test/lint-fixtures/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      // Without these the import rules parse no .ts dependency: no-cycle saw no edges at all.
      'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // Resolves the ESM `./x.js` specifiers to the `./x.ts` sources.
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${root}/tsconfig.json` })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', {
        // node:test registers tests synchronously; their returned promises are the runner's to await.
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }],
      }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': ['error', { basePath: root, zones: serviceZones }],
      'no-console': 'error',
    },
  },
  // Each block below restates the zones of the blocks before it: a later rule setting replaces, not extends.
  {
    files: ['**/*.ts'],
    ignores: TEST_FILES,
    rules: { 'import-x/no-restricted-paths': ['error', { basePath: root, zones: [...serviceZones, testSupportZone] }] },
  },
  {
    files: PURE,
    ignores: [...TEST_FILES, ...PURE_EDGES],
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: root, zones: [...serviceZones, testSupportZone, pureZone] }],
      'no-restricted-imports': ['error', pureImports],
    },
  },
  {
    files: CLOCKED,
    ignores: [...TEST_FILES, ...at('stream-processors/*/main.ts', 'ingest/*/main.ts')],
    rules: { 'no-restricted-syntax': ['error', ...clockReads] },
  },
  // The CLI, the stack manager and the scripts talk to a person on the terminal.
  { files: ['cli/**/*.ts', 'stack/**/*.ts', 'scripts/**/*.ts', 'perf/**/*.ts'], rules: { 'no-console': 'off' } },
);
