// Lint: typescript-eslint's recommended rules plus the import directions of HOUSE-STYLE.md:
// commands -> cli -> lib -> contract; server -> contract only; only commands/server/* touch the server,
// and only through its entry (src/server/entry/index.ts).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});
const layer = (group, message) => ({ group, message });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'release/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', setImmediate: 'readonly', NodeJS: 'readonly', structuredClone: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  restrict(['src/contract/**'], [
    layer(['**/lib/**', '**/cli/**', '**/commands/**', '**/server/**'], 'contract depends on nothing of ours'),
  ]),
  // The start-up path of `krypt run` / `get` loads these without zod (~80 ms): they import only each other.
  restrict(['src/contract/constants.ts', 'src/contract/error-codes.ts', 'src/contract/routes.ts', 'src/contract/route-guards.ts', 'src/contract/dashboard-paths.ts'], [
    layer(['**/lib/**', '**/cli/**', '**/commands/**', '**/server/**'], 'contract depends on nothing of ours'),
    layer(['zod', 'zod/*', './*', '!./constants.js', '!./error-codes.js', '!./routes.js'], 'the zod-free contract imports only constants, error-codes and routes'),
  ]),
  // The dashboard (browser) imports only the contract, and from it at run time only the zod-free
  // files: zod stays out of the bundle. Types of the zod schemas are erased, so `import type` is fine.
  {
    files: ['src/dashboard/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          layer(['**/lib/**', '**/cli/**', '**/commands/**', '**/server/**'], 'the dashboard imports only the contract (and talks to the server over /v1)'),
          {
            group: ['zod', 'zod/*', '**/contract/*', '!**/contract/constants.js', '!**/contract/error-codes.js', '!**/contract/routes.js', '!**/contract/dashboard-paths.js'],
            message: 'the dashboard imports values only from the zod-free contract (constants, error-codes, routes, dashboard-paths); use `import type` for the rest',
            allowTypeImports: true,
          },
        ],
      }],
    },
  },
  restrict(['src/lib/**'], [
    layer(['**/cli/**', '**/commands/**', '**/server/**'], 'lib may import only lib and contract'),
  ]),
  restrict(['src/cli/**'], [
    layer(['**/commands/**', '**/server/**'], 'cli may import only cli, lib and contract'),
  ]),
  // The entry (src/server/entry) sits on top of the server: nothing below it imports it back.
  restrict(['src/server/**'], [
    layer(['**/lib/**', '**/cli/**', '**/commands/**'], 'server code imports contract only'),
    layer(['**/entry/**'], 'only the server entry itself and commands/server/* import src/server/entry'),
  ]),
  restrict(['src/server/routes/**'], [
    layer(['**/store/**', '**/crypto/**', '**/lib/**', '**/cli/**', '**/commands/**'], 'routes delegate to services; they never touch store or crypto'),
    layer(['**/entry/**'], 'only the server entry itself and commands/server/* import src/server/entry'),
  ]),
  restrict(['src/commands/**'], [
    layer(['**/server/**', '!**/server/entry/', '**/server/entry/*', '!**/server/entry/index.js'], 'commands reach the server only through server/entry/index'),
  ]),
  restrict(['src/commands/!(server)/**', 'src/commands/*.ts'], [
    // src/server, as a top-level or topic command reaches it (commands/index.ts lists commands/server/*).
    layer(['../server/**', '../../server/**'], 'only commands/server/* touch the server entry'),
  ]),
  {
    files: ['src/**'],
    ignores: ['src/cli/deps.ts', 'src/lib/config/**', 'src/lib/process/**'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'process', property: 'env', message: 'read process.env only in config code (src/cli/deps.ts, src/lib/config)' },
        { object: 'process', property: 'exit', message: 'process.exit only in bin/ and the process runner' }],
    },
  },
);
