// Lint rules that guard the architecture: service folders never import one another, no import
// cycles, no promise left unawaited.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const services = ['ingest', 'stream-processors', 'profiling', 'delivery'];
// A service may import the cross-cutting folder and the schemas, never a sibling service, the CLI or the stack.
const zones = services.map((target) => ({
  target: `./${target}`,
  from: [...services.filter((s) => s !== target), 'cli', 'stack'].map((f) => `./${f}`),
  message: 'A service folder imports only platform/ and schemas/, never another service (see ARCHITECTURE.md).',
}));
// The cross-cutting folder depends on no service.
zones.push({
  target: './platform',
  from: [...services, 'cli', 'stack'].map((f) => `./${f}`),
  message: 'platform/ is cross-cutting: it must not depend on services, the CLI or the stack.',
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.stack/**', 'perf/k6/**', 'schemas/generated/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
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
      'import-x/no-restricted-paths': ['error', { zones }],
      'no-console': 'error',
    },
  },
  // The CLI, the stack manager and the scripts talk to a person on the terminal.
  { files: ['cli/**/*.ts', 'stack/**/*.ts', 'scripts/**/*.ts', 'perf/**/*.ts'], rules: { 'no-console': 'off' } },
);
