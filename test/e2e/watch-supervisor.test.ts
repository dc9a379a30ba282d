import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { superviseWithReload, type SuperviseOptions, type Supervisor, type SupervisorEvent } from '../../src/lib/process/supervise.js';

// The `krypt run --watch` supervisor with real child processes: restart with the new environment,
// SIGKILL after the grace period, signal mode, coalescing, exit codes and signal forwarding.

const NODE = process.execPath;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'krypt-supervise-'));
const supervisors: Supervisor[] = [];
afterEach(async () => {
  for (const s of supervisors.splice(0)) await s.stop();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Resolves when `predicate` holds, polling every 20 ms; a generous timeout, not a timing assertion. */
async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// A child that prints "value=<V> pid=<pid>" once its handlers are installed, then idles.
const child = (body = '') => `${body}\nconsole.log('value=' + process.env.V + ' pid=' + process.pid);\nsetInterval(() => {}, 1000);`;

function supervise(body: string, env: Record<string, string>, opts: Partial<SuperviseOptions> = {}) {
  let out = '';
  const events: SupervisorEvent[] = [];
  const sup = superviseWithReload({
    env,
    interactive: false,
    onEvent: (e) => events.push(e),
    start: (childEnv) => {
      const c = spawn(NODE, ['-e', body], { env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] });
      c.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      return c;
    },
    ...opts,
  });
  supervisors.push(sup);
  return { sup, out: () => out, events, starts: () => events.filter((e) => e.type === 'started').length };
}

describe('superviseWithReload', () => {
  it('restarts the child with the new environment and passes its exit status through', async () => {
    const s = supervise(child(), { V: 'one' });
    await until(() => s.out().includes('value=one'), 'the first child');
    const first = s.sup.pid;
    s.sup.reload({ V: 'two' });
    await until(() => s.out().includes('value=two'), 'the restarted child');
    expect(s.sup.pid).not.toBe(first);
    expect(s.out().match(/value=\w+/g)).toEqual(['value=one', 'value=two']);
    expect(s.events.map((e) => e.type)).toEqual(['started', 'restarting', 'started']);
    expect(await s.sup.stop()).toBe(128 + 15);
  });

  it('SIGKILLs a child that ignores SIGTERM after killTimeoutMs, then starts the new one', async () => {
    const s = supervise(child("process.on('SIGTERM', () => console.log('ignoring TERM'));"), { V: 'old' }, { killTimeoutMs: 300 });
    await until(() => s.out().includes('value=old'), 'the first child');
    s.sup.reload({ V: 'new' });
    await until(() => s.out().includes('value=new'), 'the replacement child');
    expect(s.out()).toMatch(/value=old .*\nignoring TERM\nvalue=new /);
    expect(s.events.map((e) => e.type)).toEqual(['started', 'restarting', 'killing', 'started']);
  });

  it('in signal mode sends the signal and does not restart', async () => {
    const s = supervise(child("process.on('SIGHUP', () => console.log('reloading on HUP'));"), { V: 'same' }, { onChange: { signal: 'SIGHUP' } });
    await until(() => s.out().includes('value=same'), 'the child');
    const pid = s.sup.pid;
    s.sup.reload({ V: 'ignored' });
    await until(() => s.out().includes('reloading on HUP'), 'the SIGHUP');
    s.sup.reload({ V: 'ignored' });
    await until(() => s.out().split('reloading on HUP').length === 3, 'the second SIGHUP');
    expect(s.sup.pid).toBe(pid);
    expect(s.starts()).toBe(1);
    expect(s.events.filter((e) => e.type === 'signalled')).toEqual([
      { type: 'signalled', pid, signal: 'SIGHUP' },
      { type: 'signalled', pid, signal: 'SIGHUP' },
    ]);
  });

  it('coalesces several changes within the window into one restart with the newest environment', async () => {
    const s = supervise(child(), { V: 'v0' }, { coalesceMs: 300 });
    await until(() => s.out().includes('value=v0'), 'the first child');
    for (const v of ['v1', 'v2', 'v3', 'v4']) s.sup.reload({ V: v });
    await until(() => s.out().includes('value=v4'), 'the restarted child');
    expect(await s.sup.stop()).toBe(128 + 15);
    expect(s.out().match(/value=\w+/g)).toEqual(['value=v0', 'value=v4']);
    expect(s.starts()).toBe(2);
  });

  it('folds a change arriving while the old child is still stopping into that restart', async () => {
    const slowExit = "process.on('SIGTERM', () => { console.log('stopping'); setTimeout(() => process.exit(0), 300); });";
    const s = supervise(child(slowExit), { V: 'v0' }, { coalesceMs: 50 });
    await until(() => s.out().includes('value=v0'), 'the first child');
    s.sup.reload({ V: 'v1' });
    await until(() => s.out().includes('stopping'), 'the old child stopping');
    s.sup.reload({ V: 'v2' });
    await until(() => s.out().includes('value=v2'), 'the restarted child');
    expect(await s.sup.stop()).toBe(0);
    expect(s.out().match(/value=\w+/g)).toEqual(['value=v0', 'value=v2']);
    expect(s.starts()).toBe(2);
  });

  it('starts no new child when stopped during a restart', async () => {
    const slowExit = "process.on('SIGTERM', () => { console.log('stopping'); setTimeout(() => process.exit(3), 300); });";
    const s = supervise(child(slowExit), { V: 'v0' }, { coalesceMs: 50 });
    await until(() => s.out().includes('value=v0'), 'the first child');
    s.sup.reload({ V: 'v1' });
    await until(() => s.out().includes('stopping'), 'the old child stopping');
    expect(await s.sup.stop()).toBe(3);
    expect(s.starts()).toBe(1);
  });

  it('resolves with the code of a child that exits on its own; later reloads are ignored', async () => {
    const s = supervise('process.exit(7)', { V: 'x' });
    expect(await s.sup.exited).toBe(7);
    s.sup.reload({ V: 'y' });
    expect(s.starts()).toBe(1);
  });

  it('resolves with the code a child chooses on SIGTERM when stopped', async () => {
    const s = supervise(child("process.on('SIGTERM', () => process.exit(7));"), { V: 'x' });
    await until(() => s.out().includes('value=x'), 'the child');
    expect(await s.sup.stop()).toBe(7);
  });

  it('rejects when the program cannot be started', async () => {
    const sup = superviseWithReload({ env: {}, interactive: false, start: (env) => spawn(join(tmp, 'no-such-program'), [], { env }) });
    await expect(sup.exited).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('superviseWithReload in a krypt-like process', () => {
  // A stand-in for `krypt run --watch`: supervises `node -e CHILD` and exits with the supervisor's code.
  const runner = join(tmp, 'runner.mts');
  writeFileSync(
    runner,
    `import { spawn } from 'node:child_process';
import { superviseWithReload } from ${JSON.stringify(join(ROOT, 'src/lib/process/supervise.ts'))};
const sup = superviseWithReload({
  env: { ...process.env, V: 'first' },
  interactive: false,
  killTimeoutMs: 5000,
  onEvent: (e) => console.error('event ' + e.type),
  start: (env) => spawn(process.execPath, ['-e', process.argv[2]], { env, stdio: 'inherit' }),
});
process.exitCode = await sup.exited;
`,
  );
  const procs: ChildProcess[] = [];
  afterEach(() => {
    for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
  });

  function startRunner(body: string) {
    const proc = spawn(NODE, ['--import', 'tsx', runner, body], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(proc);
    let out = '';
    let err = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    return { proc, out: () => out, err: () => err, exit };
  }

  it('forwards SIGTERM to the child and exits with its status', async () => {
    const r = startRunner(child("process.on('SIGTERM', () => { console.log('child got TERM'); process.exit(7); });"));
    await until(() => r.out().includes('value=first'), 'the child');
    r.proc.kill('SIGTERM');
    expect(await r.exit).toBe(7);
    expect(r.out()).toContain('child got TERM');
  });

  it('passes SIGUSR1 on without stopping, and reports 128+n when the child dies by a signal', async () => {
    const r = startRunner(child("process.on('SIGUSR1', () => console.log('child got USR1'));"));
    await until(() => r.out().includes('value=first'), 'the child');
    r.proc.kill('SIGUSR1');
    await until(() => r.out().includes('child got USR1'), 'the forwarded SIGUSR1');
    r.proc.kill('SIGQUIT');
    expect(await r.exit).toBe(128 + 3);
  });
});
