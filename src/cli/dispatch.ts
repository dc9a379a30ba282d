import { closest, distance } from 'fastest-levenshtein';
import { KryptError } from '../lib/errors.js';
import { complete, completionScript, SHELLS, type Shell } from './completion.js';
import { createCliDeps, type CliDeps } from './deps.js';
import { writeError } from './error-output.js';
import { BUILT_INS, builtInHelp, commandHelp, rootHelp, spoken, topicHelp, type HelpContext, type Registry } from './help.js';
import { findCommand } from './find-command.js';
import { executeCommand } from './pipeline.js';
import { buildInfo, runtime, versionLine } from './version.js';

// The CLI's one front door: which command a command line names (`members invite`, `members:invite`,
// an alias such as `cr approve` or `secrets pull`), or help, the version, completion, or a clear
// error with a "did you mean" for anything else. Every start-up path (bin/run.js's two bundles, the
// standalone binary, tests in process) comes through here, so all of them answer alike.

/** The whole command tree: the registry plus its topics and what to say at the top of help. */
export interface CommandTree {
  registry: Registry;
  topics: Readonly<Record<string, string>>;
  topicAliases: Readonly<Record<string, string>>;
  description: string;
}

/** The words before `--`: only these can ask for help. */
const own = (words: readonly string[]) => {
  const end = words.indexOf('--');
  return end === -1 ? words : words.slice(0, end);
};
const HELP = new Set(['--help', '-h']);
const VERSION = new Set(['--version', '-v', 'version']);

/** Runs a whole command line: a command, help, the version or completion. Returns the exit code. */
export async function runCli(tree: CommandTree, words: readonly string[], deps: CliDeps = createCliDeps()): Promise<number> {
  const out = (text: string) => {
    deps.stdout.write(text.endsWith('\n') ? text : text + '\n');
    return 0;
  };
  const helpCtx: HelpContext = { ...tree, version: versionLine(), width: Math.min(deps.stdout.isTTY ? ((deps.stdout as { columns?: number }).columns ?? 80) : 80, 100) };
  const json = own(words).includes('--json');
  const fail = (err: KryptError) => {
    writeError(deps.stderr, err, json);
    return err.exitCode;
  };
  const [first, second] = words;

  if (first === undefined || HELP.has(first)) return out(rootHelp(helpCtx));
  if (VERSION.has(first)) {
    const info = buildInfo();
    return out(json ? JSON.stringify({ version: info.version, commit: info.commit, platform: process.platform, arch: process.arch, runtime: runtime() }, null, 2) : versionLine(info));
  }
  if (first === 'help') return help(tree, helpCtx, words.slice(1), out, fail);
  if (first === 'completion') {
    if (second !== undefined && HELP.has(second)) return out(builtInHelp(helpCtx, 'completion'));
    if (second === undefined || !(SHELLS as readonly string[]).includes(second) || words.length > 2) {
      return fail(new KryptError('usage', second === undefined ? 'completion needs a shell' : `no completion for "${words.slice(1).join(' ')}"`, { hint: `one of: ${SHELLS.map((s) => `krypt completion ${s}`).join(', ')}` }));
    }
    return out(completionScript(second as Shell));
  }
  if (first === '__complete') return out((await complete(tree, words.slice(1), deps)).join('\n'));

  const found = findCommand(tree.registry, words);
  if (found) {
    if (own(found.argv).some((w) => HELP.has(w))) return out(commandHelp(helpCtx, found.spec));
    return executeCommand(found.spec, found.argv, deps);
  }
  const topic = tree.topicAliases[first] ?? first;
  if (Object.hasOwn(tree.topics, topic) && (second === undefined || second.startsWith('-'))) {
    if (second === undefined || HELP.has(second)) return out(topicHelp(helpCtx, topic));
  }
  return fail(notACommand(tree, words));
}

function help(tree: CommandTree, ctx: HelpContext, words: readonly string[], out: (t: string) => number, fail: (e: KryptError) => number): number {
  const named = words.filter((w) => !w.startsWith('-'));
  if (named.length === 0) return out(rootHelp(ctx));
  const [first] = named as [string];
  if (Object.hasOwn(BUILT_INS, first)) return out(builtInHelp(ctx, first as keyof typeof BUILT_INS));
  const found = findCommand(tree.registry, named);
  if (found && found.argv.length === 0) return out(commandHelp(ctx, found.spec));
  const topic = tree.topicAliases[first] ?? first;
  if (named.length === 1 && Object.hasOwn(tree.topics, topic)) return out(topicHelp(ctx, topic));
  return fail(notACommand(tree, named, 'help'));
}

/** Every name a command line can start with, as typed: `pull`, `members invite`, `cr approve`, `members`. */
function names(tree: CommandTree): string[] {
  const ids = Object.values(tree.registry).flatMap((c) => [c.id, ...(c.aliases ?? [])]).map(spoken);
  return [...ids, ...Object.keys(tree.topics), ...Object.keys(BUILT_INS)];
}

/** `"pul" is not a krypt command` with the nearest name, if one is near. */
function notACommand(tree: CommandTree, words: readonly string[], via?: string): KryptError {
  const [first, second] = words as [string, string | undefined];
  if (first.startsWith('-')) {
    return new KryptError('usage', `unknown flag ${first.split('=')[0]}`, { hint: 'run `krypt --help` (flags go after the command: `krypt COMMAND --flag`)' });
  }
  const topic = tree.topicAliases[first] ?? first;
  const typed = Object.hasOwn(tree.topics, topic) && second !== undefined ? `${first} ${second}` : first;
  const candidates = names(tree).filter((n) => (typed.includes(' ') ? n.startsWith(`${first} `) || n.startsWith(`${topic} `) : !n.includes(' ')));
  const suggestion = nearest(typed, candidates);
  const list = typed.includes(' ') ? `krypt ${topic} --help` : 'krypt --help';
  return new KryptError('usage', `"${typed}" is not a krypt${via ? ' help topic or' : ''} command`, {
    hint: suggestion ? `did you mean \`krypt ${via ? `${via} ` : ''}${suggestion}\`? Run \`${list}\` for the list` : `run \`${list}\` for the list of commands`,
  });
}

function nearest(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const prefixed = candidates.filter((c) => word.length >= 2 && c.startsWith(word));
  if (prefixed.length === 1) return prefixed[0];
  const best = closest(word, [...candidates]);
  return distance(word, best) <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
