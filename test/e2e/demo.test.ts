import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

// `npm run demo` is the README's promise of a working product in one command; keep it working.
it('npm run demo prints the injected value and stops its server', async () => {
  const script = resolve(import.meta.dirname, '../../scripts/demo.js');
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  expect(stderr).toContain('Demo done; the dev server has stopped.');
  expect(stdout).toContain('GREETING is: hello from krypt');
  expect(code).toBe(0);
});
