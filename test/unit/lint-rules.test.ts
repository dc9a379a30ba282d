import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The import directions of HOUSE-STYLE.md are lint rules; these cases prove the rules bite.

const root = resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, file) });
  return (result?.messages ?? []).filter((m) => /(^|\/)no-restricted-/.test(m.ruleId ?? '')).map((m) => m.message);
}

describe('import-direction lint rules', () => {
  it.each([
    ['src/server/services/x-service.ts', "import { KryptError } from '../../lib/errors.js'; export const a = KryptError;", /server code imports contract only/],
    ['src/server/routes/x-routes.ts', "import { x } from '../store/x-store.js'; export const a = x;", /routes delegate to services/],
    ['src/lib/api/x.ts', "import { KryptCommand } from '../../cli/base-command.js'; export const a = KryptCommand;", /lib may import only lib and contract/],
    ['src/cli/x.ts', "import Get from '../commands/get.js'; export const a = Get;", /cli may import only cli, lib and contract/],
    ['src/contract/x.ts', "import { KryptError } from '../lib/errors.js'; export const a = KryptError;", /contract depends on nothing/],
    ['src/contract/routes.ts', "import { z } from 'zod'; export const a = z;", /zod-free contract/],
    ['src/contract/route-guards.ts', "import { slugSchema } from './names.js'; export const a = slugSchema;", /zod-free contract/],
    ['src/contract/routes.ts', "import { KryptError } from '../lib/errors.js'; export const a = KryptError;", /contract depends on nothing/],
    ['src/commands/get2.ts', "import { startServer } from '../server/entry/index.js'; export const a = startServer;", /only commands\/server/],
    ['src/commands/server/x.ts', "import { buildApp } from '../../server/app.js'; export const a = buildApp;", /only through server\/entry\/index/],
    ['src/commands/server/x.ts', "import { startServer } from '../../server/entry/start.js'; export const a = startServer;", /only through server\/entry\/index/],
    ['src/commands/server/x.ts', "import { openDatabase } from '../../server/store/database.js'; export const a = openDatabase;", /only through server\/entry\/index/],
    ['src/commands/x.ts', "import { initInstance } from '../server/entry/index.js'; export const a = initInstance;", /only commands\/server/],
    ['src/cli/x.ts', "import { DEFAULT_PORT } from '../server/entry/index.js'; export const a = DEFAULT_PORT;", /cli may import only cli, lib and contract/],
    ['src/lib/x.ts', "import { ServerStartupError } from '../server/entry/index.js'; export const a = ServerStartupError;", /lib may import only lib and contract/],
    ['src/contract/x.ts', "import { ServiceError } from '../server/services/service-error.js'; export const a = ServiceError;", /contract depends on nothing/],
    ['src/server/services/x-service.ts', "import { startServer } from '../entry/index.js'; export const a = startServer;", /only the server entry itself/],
    ['src/server/app.ts', "import { DEFAULT_PORT } from './entry/start.js'; export const a = DEFAULT_PORT;", /only the server entry itself/],
    ['src/server/routes/x-routes.ts', "import { verifyAudit } from '../entry/maintenance.js'; export const a = verifyAudit;", /only the server entry itself/],
    ['src/server/routes/x-routes.ts', "import { deriveKeys } from '../crypto/value-crypto.js'; export const a = deriveKeys;", /routes delegate to services/],
    ['src/server/entry/x.ts', "import { toKryptError } from '../../cli/base-command.js'; export const a = toKryptError;", /server code imports contract only/],
    ['src/lib/x.ts', 'export const a = process.env.HOME;', /read process.env only in config code/],
    ['src/commands/x.ts', 'process.exit(1);', /process.exit only in bin/],
    ['src/dashboard/x.ts', "import { z } from 'zod'; export const a = z;", /zod-free contract/],
    ['src/dashboard/x.ts', "import { slugSchema } from '../contract/names.js'; export const a = slugSchema;", /zod-free contract/],
    ['src/dashboard/x.ts', "import { ROLES } from '../contract/index.js'; export const a = ROLES;", /zod-free contract/],
    ['src/dashboard/pages/x.tsx', "import { KryptError } from '../../lib/errors.js'; export const a = KryptError;", /the dashboard imports only the contract/],
    ['src/dashboard/x.ts', "import { buildApp } from '../server/app.js'; export const a = buildApp;", /the dashboard imports only the contract/],
    ['src/contract/dashboard-paths.ts', "import { z } from 'zod'; export const a = z;", /zod-free contract/],
  ])('%s is refused', async (file, code, expected) => {
    const messages = await problems(file, code);
    expect(messages.join('\n')).toMatch(expected);
  });

  it.each([
    ['src/commands/server/x.ts', "import { startServer } from '../../server/entry/index.js'; export const a = startServer;"],
    ['src/server/services/x-service.ts', "import { ROLES } from '../../contract/names.js'; export const a = ROLES;"],
    ['src/cli/x.ts', "import { KryptError } from '../lib/errors.js'; export const a = KryptError;"],
    ['src/cli/x.ts', "import { CodedError } from '../contract/coded-error.js'; export const a = CodedError;"],
    ['src/lib/x.ts', "import { CodedError } from '../contract/coded-error.js'; export const a = CodedError;"],
    ['src/commands/x.ts', "import { ROLES } from '../contract/index.js'; export const a = ROLES;"],
    ['src/server/entry/x.ts', "import { startServer } from './start.js'; import { CodedError } from '../../contract/index.js'; export const a = [startServer, CodedError];"],
    ['src/server/entry/x.ts', "import { openDatabase } from '../store/database.js'; import { deriveKeys } from '../crypto/value-crypto.js'; export const a = [openDatabase, deriveKeys];"],
    ['src/server/routes/x-routes.ts', "import { ServiceError } from '../services/service-error.js'; export const a = ServiceError;"],
    ['src/contract/route-guards.ts', "import { ENVIRONMENTS } from './constants.js'; export const a = ENVIRONMENTS;"],
    ['src/dashboard/x.ts', "import { ROUTES } from '../contract/routes.js'; import { ENVIRONMENTS } from '../contract/constants.js'; export const a = [ROUTES, ENVIRONMENTS];"],
    ['src/dashboard/x.ts', "import type { Project } from '../contract/api.js'; export type A = Project;"],
    ['src/server/plugins/x.ts', "import { matchDashboardPage } from '../../contract/dashboard-paths.js'; export const a = matchDashboardPage;"],
  ])('%s is allowed', async (file, code) => {
    expect(await problems(file, code)).toEqual([]);
  });
});
