import type { CliDeps } from './deps.js';

// What a command is, free of any framework: its flags and arguments as plain data, and a run
// function over injected dependencies. The one pipeline (pipeline.ts) parses, runs, renders and maps
// errors for every command; help, completion and docs/cli.md are rendered from these definitions
// (help.ts), and the dispatcher (dispatch.ts) finds them on every start-up path.

interface FlagBase {
  description: string;
  char?: string;
  helpGroup?: 'GLOBAL';
  /** Flags that cannot be given together with this one. */
  exclusive?: readonly string[];
  /** Flags this one needs. */
  dependsOn?: readonly string[];
  required?: boolean;
  hidden?: boolean;
}
export interface BooleanFlag extends FlagBase {
  type: 'boolean';
}
export interface StringFlag extends FlagBase {
  type: 'string';
  options?: readonly string[];
  default?: string;
  /** Repeatable: every value is kept, in order. */
  multiple?: boolean;
  /** May also stand alone (`--preserve-env` or `--preserve-env=A,B`); a value then needs `=`. */
  optionalValue?: boolean;
}
export interface IntegerFlag extends FlagBase {
  type: 'integer';
  default?: number;
  min?: number;
  max?: number;
}
export type FlagSpec = BooleanFlag | StringFlag | IntegerFlag;
export type FlagSet = Readonly<Record<string, FlagSpec>>;

export interface ArgSpec {
  description: string;
  required?: boolean;
  options?: readonly string[];
}
export type ArgSet = Readonly<Record<string, ArgSpec>>;

type Present<F> = F extends { required: true } ? true : F extends { default: unknown } ? true : false;
/** The parsed type of one flag. */
export type FlagValue<F> = F extends BooleanFlag
  ? boolean
  : F extends IntegerFlag
    ? Present<F> extends true ? number : number | undefined
    : F extends { multiple: true }
      ? string[]
      : F extends { optionalValue: true }
        ? string | true | undefined
        : Present<F> extends true ? string : string | undefined;
export type FlagValues<S extends FlagSet> = { -readonly [K in keyof S]: FlagValue<S[K]> };
export type ArgValues<S extends ArgSet> = { -readonly [K in keyof S]: S[K] extends { required: true } ? string : string | undefined };

/** What a command's run function receives from the command line. */
export interface CommandInput<F extends FlagSet, A extends ArgSet> {
  flags: FlagValues<F>;
  args: ArgValues<A>;
  /** Positional arguments after the named ones (commands with `variadic`). */
  argv: string[];
  /** Everything after the first `--`, verbatim (commands with `passthrough`). */
  rest: string[];
}

/** The command's view of the outside world and of how its output is rendered. */
export interface CommandContext {
  deps: CliDeps;
  /** --json was given: stdout carries exactly the returned value as one JSON document. */
  json: boolean;
  /** stdin is a terminal (prompts are possible). */
  interactive: boolean;
  /** Progress and human text: stderr, silent with --json. */
  say(message: string): void;
  /** Data for humans or pipes: stdout, suppressed with --json (the returned value is printed instead). */
  print(text: string): void;
  /** `Warning: ...` on stderr, even with --json. */
  warn(message: string): void;
  /**
   * Ends a command that has a result but must still exit non-zero (`diff` found differences, a broken
   * audit chain): with --json the result goes to stdout first, then the error is rendered as usual.
   */
  failWithResult(result: unknown, error: Error): never;
}

export interface CommandSpec<F extends FlagSet = FlagSet, A extends ArgSet = ArgSet, R = unknown> {
  /** Id: topic and verb joined by ':' (`members:invite`); typed with a space (`krypt members invite`). */
  id: string;
  description: string;
  examples?: readonly string[];
  usage?: string;
  aliases?: readonly string[];
  flags: F;
  args?: A;
  /** Accepts positional arguments beyond the named ones (in input.argv). */
  variadic?: boolean;
  /** Everything after `--` is the command's (input.rest). */
  passthrough?: boolean;
  /**
   * 'result' (default): a global --json prints the returned value. 'self': the command prints its
   * own output (run, get); errors are still JSON when its own `json` flag is set.
   */
  output?: 'result' | 'self';
  run(ctx: CommandContext, input: CommandInput<F, A>): Promise<R>;
  /** The process exit code for a result (default 0): `run` returns the child's. */
  exitCode?(result: R): number;
}

/** Any command, as the registry, the pipeline and help hold them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- commands differ in flags and results
export type AnyCommand = CommandSpec<any, any, any>;

/** Declares a command; the flag and argument types of `run` follow from the definitions. */
export function defineCommand<const F extends FlagSet, const A extends ArgSet = Record<never, never>, R = unknown>(spec: CommandSpec<F, A, R>): CommandSpec<F, A, R> {
  return spec;
}

/** Flag and argument builders (the literal types carry into `run`'s input). */
export const flag = {
  boolean: <const O extends Omit<BooleanFlag, 'type'>>(o: O): O & { type: 'boolean' } => ({ ...o, type: 'boolean' }),
  string: <const O extends Omit<StringFlag, 'type'>>(o: O): O & { type: 'string' } => ({ ...o, type: 'string' }),
  integer: <const O extends Omit<IntegerFlag, 'type'>>(o: O): O & { type: 'integer' } => ({ ...o, type: 'integer' }),
};
export const arg = <const O extends ArgSpec>(o: O): O => o;

/** Thrown by failWithResult: the pipeline prints the result (with --json), then renders the error. */
export class ResultError extends Error {
  constructor(
    readonly result: unknown,
    readonly error: Error,
  ) {
    super(error.message);
    this.name = 'ResultError';
  }
}
