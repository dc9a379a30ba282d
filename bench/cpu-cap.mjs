// CPU quotas for bench child processes (Linux cgroups, v1 `cpu` or v2 `cpu.max`): each capped
// process gets a cgroup of its own holding it to a fraction of one core, as if it ran on a machine
// of that size; uncapping moves it back where it was. On a 2-core machine two uncapped replicas,
// PostgreSQL and the load generator share the same cores, so "does a second replica add capacity"
// can only be measured with each replica's CPU held fixed. Without a writable cgroup hierarchy
// (not root, no cpu controller) cpuCaps() says why, and the bench leaves those cases out.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const V1 = '/sys/fs/cgroup/cpu';
const V2 = '/sys/fs/cgroup';
const PERIOD_US = 100_000;

function hierarchy() {
  if (existsSync(join(V1, 'cpu.cfs_quota_us'))) return { version: 1, root: V1 };
  if (existsSync(join(V2, 'cgroup.controllers')) && readFileSync(join(V2, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('cpu')) return { version: 2, root: V2 };
  return undefined;
}

/** The pid's current cgroup directory in the hierarchy (to move it back there). */
function cgroupOf(h, pid) {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const line = h.version === 1 ? lines.find((l) => /^\d+:([^:]*,)?cpu(,[^:]*)?:/.test(l)) : lines.find((l) => l.startsWith('0::'));
  return join(h.root, line ? line.slice(line.lastIndexOf(':') + 1) : '/');
}

/** { available: true, cap(pid, cores), uncap(pid), cleanup() } or { available: false, why }. */
export function cpuCaps(prefix) {
  const h = hierarchy();
  if (!h) return { available: false, why: 'no cgroup cpu controller here' };
  const made = new Map();
  const home = new Map();
  const dirFor = (pid) => join(h.root, `${prefix}-${process.pid}-${pid}`);
  try {
    const probe = dirFor('probe');
    mkdirSync(probe);
    rmdirSync(probe);
  } catch (err) {
    return { available: false, why: `cgroups not writable (${err.code ?? err.message}): run as root to measure capped replicas` };
  }
  return {
    available: true,
    cap(pid, cores) {
      const dir = dirFor(pid);
      if (!made.has(pid)) {
        mkdirSync(dir);
        made.set(pid, dir);
      }
      if (h.version === 1) {
        writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
        writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(Math.round(cores * PERIOD_US)));
      } else {
        writeFileSync(join(dir, 'cpu.max'), `${Math.round(cores * PERIOD_US)} ${PERIOD_US}`);
      }
      if (!home.has(pid)) home.set(pid, cgroupOf(h, pid));
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    },
    uncap(pid) {
      const back = home.get(pid);
      if (back) {
        try {
          writeFileSync(join(back, 'cgroup.procs'), String(pid));
        } catch (err) {
          if (err.code !== 'ESRCH') throw err;
        }
      }
    },
    /** Moves every capped process back and removes the cgroups (call before exiting). */
    cleanup() {
      for (const pid of made.keys()) {
        try {
          this.uncap(pid);
        } catch {
          // The process is gone; its cgroup is empty either way.
        }
      }
      for (const dir of made.values()) {
        try {
          rmdirSync(dir);
        } catch {
          // Still populated by an exiting process: the kernel frees it once empty.
        }
      }
      made.clear();
    },
  };
}
