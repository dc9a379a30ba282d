import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

// What a team does with the published document: generate TypeScript types from it with
// openapi-typescript, write a client over them with openapi-fetch, and compile that client with
// tsc. Done in a temporary directory that sees the project's node_modules through a link.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2022', 'DOM'],
    types: [],
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    noEmit: true,
  },
  files: ['schema.d.ts', 'client.ts'],
};

export interface GeneratedClient {
  /** The generated `paths` / `components` types. */
  types: string;
  /** tsc's output (empty when it compiled). */
  diagnostics: string;
  exitCode: number;
}

/**
 * Generates types from `doc` (openapiTS + astToString) into a temporary directory beside
 * `clientSource` (a module importing `./schema.js` and `openapi-fetch`), and type-checks both with
 * the project's TypeScript.
 */
export async function generateAndCompileClient(doc: unknown, clientSource: string): Promise<GeneratedClient> {
  const dir = await mkdtemp(join(tmpdir(), 'krypt-openapi-client-'));
  try {
    const types = astToString(await openapiTS(doc as Parameters<typeof openapiTS>[0]));
    await writeFile(join(dir, 'schema.d.ts'), types);
    await writeFile(join(dir, 'client.ts'), clientSource);
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'junction');
    const { output, exitCode } = await new Promise<{ output: string; exitCode: number }>((resolve, reject) => {
      execFile(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { cwd: dir, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (err as NodeJS.ErrnoException & { code?: number | string }).code : 0;
        if (err && typeof code !== 'number') return reject(new Error(`tsc did not run: ${err.message}\n${stderr}`));
        resolve({ output: stdout + stderr, exitCode: code as number });
      });
    });
    return { types, diagnostics: output.trim(), exitCode };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
