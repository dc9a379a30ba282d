import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { superviseWithReload, type SupervisorEvent } from '../../src/lib/process/index.js';
import { CHILD, childReady, ended, GRANDCHILD_SH, removeRunner, startRunner, stopStarted, type Started } from '../helpers/process-runner.js';
import { until } from '../helpers/until.js';

// What `krypt run --watch` adds to `krypt run`: the reload. Signals, groups and terminals are the
// same supervisor's and are tested against both modes in test/unit/process.test.ts. Every wait
// here is on an event (a line from the child or the runner, an exit), never on a time window.

const NODE = process.execPath;
const tmp = mkdtempSync(join(tmpdir(), 'krypt-supervise-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  removeRunner();
});
afterEach(stopStarted);

// The runner (test/fixtures/process/runner.ts) in --watch mode supervising `node child.mjs ...args`
// (V unset at first); reloads come over its control channel.
function watch(childArgs: string[], flags: string[] = []): Started {
  return startRunner(['--watch', ...flags], NODE, [CHILD, ...childArgs]);
}

/** Reloads with V=value and waits until the runner has called reload(). */
async function reload(r: Started, value: string): Promise<void> {
  r.control(`reload V=${value}`);
  await r.waitFor(new RegExp(`runner: reload V=${value}\\n`), 'stderr');
}

const events = (r: Started): string[] => [...r.text('stderr').matchAll(/^runner: (started|restarting|killing|signalled) /gm)].map((m) => m[1] as string);
// child.mjs's "ready <parent pid> <pid> <process group> <$V>" lines so far.
const readies = (r: Started) => [...r.text().matchAll(/^ready \d+ (\d+) (\d+) (\S*)/gm)].map((m) => ({ pid: Number(m[1]), group: Number(m[2]), value: m[3] as string }));
const values = (r: Started): string[] => readies(r).map((c) => c.value);

describe('krypt run --watch: the reload', () => {
  it('restarts the child with the new environment and passes its exit status through', async () => {
    const r = watch([]);
    await childReady(r);
    await reload(r, 'two');
    await r.waitFor(/ready \d+ \d+ \d+ two/);
    const [first, second] = readies(r);
    expect(values(r)).toEqual(['', 'two']);
    expect(second?.pid).not.toBe(first?.pid);
    expect(second?.group).toBe(second?.pid);
    expect(events(r)).toEqual(['started', 'restarting', 'started']);
    process.kill(r.pid, 'SIGTERM');
    expect(await r.exit).toEqual({ code: 128 + 15, signal: null });
  });

  it('SIGKILLs a child that ignores SIGTERM after the restart grace, then starts the new one', async () => {
    const r = watch(['SIGTERM=log'], ['--restart-grace-ms=200']);
    await childReady(r);
    await reload(r, 'new');
    await r.waitFor(/ready \d+ \d+ \d+ new/);
    // 'killing' comes only if the old child was still running when the grace ran out.
    expect(events(r)).toEqual(['started', 'restarting', 'killing', 'started']);
    expect(values(r)).toEqual(['', 'new']);
    r.write('exit 0\n');
    expect(await r.exit).toEqual({ code: 0, signal: null });
  });

  it('stops the grandchildren of a restarted child too (SIGTERM to its group)', async () => {
    const r = startRunner(['--watch'], '/bin/sh', [GRANDCHILD_SH]);
    const old = Number((await r.waitFor(/grandchild (\d+) \n/))[1]);
    await reload(r, 'two');
    const replacement = Number((await r.waitFor(/grandchild (\d+) two\n/))[1]);
    await ended(old, 'the old grandchild');
    process.kill(r.pid, 'SIGTERM');
    expect(await r.exit).toEqual({ code: 143, signal: null });
    await ended(replacement, 'the new grandchild');
  });

  it('in signal mode sends the signal and does not restart', async () => {
    const r = watch(['SIGHUP=log'], ['--on-change=SIGHUP']);
    const child = await childReady(r);
    await reload(r, 'ignored');
    await r.waitFor(/got SIGHUP 1\n/);
    await reload(r, 'ignored-again');
    await r.waitFor(/got SIGHUP 2\n/);
    expect(values(r)).toEqual(['']);
    expect(r.text('stderr').match(/^runner: (started|signalled) \d+$/gm)).toEqual([`runner: started ${child.pid}`, `runner: signalled ${child.pid}`, `runner: signalled ${child.pid}`]);
    r.write('exit 0\n');
    expect(await r.exit).toEqual({ code: 0, signal: null });
  });

  it('coalesces changes arriving together into one restart with the newest environment', async () => {
    const r = watch([]);
    await childReady(r);
    // One write: the runner reads the four lines at once, well inside the coalescing window.
    r.control(['v1', 'v2', 'v3', 'v4'].map((v) => `reload V=${v}`).join('\n'));
    await r.waitFor(/ready \d+ \d+ \d+ v4/);
    process.kill(r.pid, 'SIGTERM');
    expect(await r.exit).toEqual({ code: 143, signal: null });
    expect(values(r)).toEqual(['', 'v4']);
    expect(events(r)).toEqual(['started', 'restarting', 'started']);
  });

  it('folds a change arriving while the old child is still stopping into that restart', async () => {
    // The child takes SIGTERM as "finish up" and exits only when told to on stdin.
    const r = watch(['SIGTERM=log'], ['--restart-grace-ms=60000']);
    await childReady(r);
    await reload(r, 'v1');
    await r.waitFor(/got SIGTERM 1\n/);
    await reload(r, 'v2');
    r.write('exit 0\n');
    await r.waitFor(/ready \d+ \d+ \d+ v2/);
    r.write('exit 4\n');
    expect(await r.exit).toEqual({ code: 4, signal: null });
    expect(values(r)).toEqual(['', 'v2']);
    expect(events(r)).toEqual(['started', 'restarting', 'started']);
  });

  it('starts no new child when told to stop during a restart, and exits with the old child\'s code', async () => {
    const r = watch(['SIGTERM=log'], ['--restart-grace-ms=60000']);
    await childReady(r);
    await reload(r, 'v1');
    await r.waitFor(/got SIGTERM 1\n/);
    process.kill(r.pid, 'SIGTERM');
    await r.waitFor(/got SIGTERM 2\n/);
    r.write('exit 3\n');
    expect(await r.exit).toEqual({ code: 3, signal: null });
    expect(events(r)).toEqual(['started', 'restarting']);
  });

  it('ignores changes once told to stop', async () => {
    const r = watch(['SIGTERM=log'], ['--restart-grace-ms=60000']);
    await childReady(r);
    process.kill(r.pid, 'SIGTERM');
    await r.waitFor(/got SIGTERM 1\n/);
    await reload(r, 'late');
    r.write('exit 6\n');
    expect(await r.exit).toEqual({ code: 6, signal: null });
    expect(events(r)).toEqual(['started']);
  });
});

describe('superviseWithReload', () => {
  it('resolves with the code of a child that exits on its own; later reloads are ignored', async () => {
    const seen: SupervisorEvent[] = [];
    const sup = superviseWithReload({ command: '/bin/sh', args: ['-c', 'exit 7'], env: {}, interactive: false, onEvent: (e) => seen.push(e) });
    expect(await sup.exited).toBe(7);
    sup.reload({ V: 'y' });
    expect(seen.map((e) => e.type)).toEqual(['started']);
  });

  it('stop() is a SIGTERM to krypt: resolves with the code the child chooses on SIGTERM', async () => {
    const ready = join(tmp, 'ready');
    // Its stdout is this test process's: it says it is ready in a file.
    const script = "process.on('SIGTERM', () => process.exit(7)); require('fs').writeFileSync(process.env.READY, ''); setInterval(() => {}, 1 << 30);";
    const sup = superviseWithReload({ command: NODE, args: ['-e', script], env: { READY: ready }, interactive: false });
    await until(() => existsSync(ready), { what: 'the child to trap SIGTERM' });
    expect(await sup.stop()).toBe(7);
  });

  it('rejects with the same error as krypt run when the program cannot be started', async () => {
    const sup = superviseWithReload({ command: 'krypt-no-such-program', args: [], env: {}, interactive: false });
    await expect(sup.exited).rejects.toMatchObject({ code: 'command_not_found', message: 'command not found: krypt-no-such-program' });
  });
});
