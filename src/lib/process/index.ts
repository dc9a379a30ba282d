// Running a program for `krypt run`: the environment it gets, and the one supervisor of the child.
export { buildChildEnv, RESERVED_NAMES, STRIPPED_NAMES, type ChildEnvOptions } from './child-env.js';
export { runChild, type RunChildOptions } from './run-child.js';
export {
  superviseWithReload,
  DEFAULT_COALESCE_MS,
  DEFAULT_RESTART_GRACE_MS,
  type OnChange,
  type SuperviseOptions,
  type Supervisor,
  type SupervisorEvent,
} from './supervise.js';
export { DEFAULT_CTRL_C_WINDOW_MS, DEFAULT_KILL_GRACE_MS, FORWARDED_SIGNALS, exitCodeOf, type SignalOptions } from './signal-rules.js';
export { findExecutable, quoteForCmd, type ExecutableLookup, type SpawnTarget } from './spawn-target.js';
