// Running a program for `krypt run`: the environment it gets, and the child process itself.
export { buildChildEnv, RESERVED_NAMES, STRIPPED_NAMES, type ChildEnvOptions } from './child-env.js';
export { runChild, FORWARDED_SIGNALS, type RunChildOptions } from './run-child.js';
