// Running a program for `krypt run`: the environment it gets, and the child process itself.
export { buildChildEnv, RESERVED_NAMES, STRIPPED_NAMES, type ChildEnvOptions } from './child-env.js';
export {
  runChild,
  findExecutable,
  quoteForCmd,
  DEFAULT_CTRL_C_WINDOW_MS,
  DEFAULT_KILL_GRACE_MS,
  FORWARDED_SIGNALS,
  type ExecutableLookup,
  type RunChildOptions,
} from './run-child.js';
