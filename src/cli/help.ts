import type { AnyCommand, ArgSet, FlagSpec } from './command.js';
import { commandFlags } from './pipeline.js';

// Help, rendered from the command definitions themselves (command.ts): the root (topics and
// commands), a topic (`krypt members`), a command (`krypt members invite --help`). The same text on
// every start-up path and in the standalone binary; docs/cli.md is generated from it.

export type Registry = Readonly<Record<string, AnyCommand>>;

/** Commands the dispatcher itself provides (dispatch.ts), listed beside the registry's. */
export const BUILT_INS: Readonly<Record<string, { description: string; usage: string; examples: readonly string[] }>> = {
  completion: {
    description: 'Print the shell completion script for bash, zsh, fish or PowerShell (commands, flags, project slugs and environment names).',
    usage: 'completion bash|zsh|fish|powershell',
    examples: ['echo \'source <(krypt completion bash)\' >> ~/.bashrc', 'krypt completion zsh > "${fpath[1]}/_krypt"', 'krypt completion fish > ~/.config/fish/completions/krypt.fish', 'krypt completion powershell | Out-String | Invoke-Expression'],
  },
  help: { description: 'Show help for krypt, a topic or a command.', usage: 'help [COMMAND]', examples: ['krypt help', 'krypt help members invite'] },
  version: { description: 'Print the version of krypt (also --version and -v).', usage: 'version [--json]', examples: ['krypt version'] },
};

/** `members:invite` -> `members invite`. */
export const spoken = (id: string): string => id.replaceAll(':', ' ');

/** The first sentence of a description: what lists show. */
export function summary(description: string): string {
  const text = flow(description);
  const m = /^(.*?[.!?])(?=\s|$)/.exec(text);
  return (m?.[1] ?? text).trim();
}

/** A description's lines are one flowing text. */
const flow = (text: string): string => text.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');

/** Word-wraps `text` to `width` columns, every line indented by `indent` (and `first` for the first line). */
export function wrap(text: string, width: number, indent = 0, first = indent): string {
  const lines: string[] = [];
  let line = ' '.repeat(first);
  let empty = true;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = ' '.repeat(indent) + word;
    } else {
      line += (empty ? '' : ' ') + word;
    }
    empty = false;
  }
  lines.push(line);
  return lines.join('\n');
}

/** Two columns: names left, wrapped text right. */
function table(rows: readonly (readonly [string, string])[], width: number): string {
  const left = Math.min(Math.max(...rows.map(([n]) => n.length)), 32);
  return rows
    .map(([name, text]) => {
      const pad = 2 + left + 2;
      if (name.length > left) return `  ${name}\n${wrap(text, width, pad)}`;
      return `  ${name.padEnd(left)}  ${wrap(text, width, pad, pad).slice(pad)}`;
    })
    .join('\n');
}

const section = (title: string, body: string): string => `${title}\n${body}\n`;

function topicOf(id: string): string | undefined {
  const i = id.indexOf(':');
  return i === -1 ? undefined : id.slice(0, i);
}

export interface HelpContext {
  registry: Registry;
  topics: Readonly<Record<string, string>>;
  description: string;
  version: string;
  width: number;
}

/** `krypt --help`. */
export function rootHelp(ctx: HelpContext): string {
  const topics = Object.entries(ctx.topics).sort(([a], [b]) => a.localeCompare(b));
  const commands: [string, string][] = [
    ...Object.values(ctx.registry).filter((c) => topicOf(c.id) === undefined).map((c): [string, string] => [c.id, summary(c.description)]),
    ...Object.entries(BUILT_INS).map(([name, b]): [string, string] => [name, summary(b.description)]),
  ].sort(([a], [b]) => a.localeCompare(b));
  return [
    wrap(ctx.description, ctx.width) + '\n',
    section('VERSION', `  ${ctx.version}`),
    section('USAGE', '  $ krypt COMMAND [FLAGS]\n  $ krypt TOPIC COMMAND [FLAGS]'),
    section('TOPICS', table(topics, ctx.width)),
    section('COMMANDS', table(commands, ctx.width)),
    wrap('Run `krypt help COMMAND` (or `krypt COMMAND --help`) for its flags and examples; `krypt completion SHELL` sets up tab completion.', ctx.width),
  ].join('\n') + '\n';
}

/** `krypt members`: the topic's commands. */
export function topicHelp(ctx: HelpContext, topic: string): string {
  const commands = Object.values(ctx.registry)
    .filter((c) => topicOf(c.id) === topic)
    .map((c): [string, string] => [spoken(c.id), summary(c.description)])
    .sort(([a], [b]) => a.localeCompare(b));
  return [
    wrap(ctx.topics[topic] ?? '', ctx.width) + '\n',
    section('USAGE', `  $ krypt ${topic} COMMAND [FLAGS]`),
    section('COMMANDS', table(commands, ctx.width)),
    wrap(`Run \`krypt ${topic} COMMAND --help\` for a command's flags and examples.`, ctx.width),
  ].join('\n') + '\n';
}

function flagLabel(name: string, s: FlagSpec): string {
  const short = s.char ? `-${s.char}, ` : '    ';
  if (s.type === 'boolean') return `${short}--${name}`;
  const value = s.type === 'string' && s.options ? s.options.join('|') : 'value';
  if (s.type === 'string' && s.optionalValue) return `${short}--${name}[=<${value}>]`;
  return `${short}--${name}=<${value}>`;
}

function flagText(s: FlagSpec): string {
  const parts = [s.required ? '(required)' : '', s.description];
  if ((s.type === 'string' || s.type === 'integer') && s.default !== undefined) parts.push(`[default: ${s.default}]`);
  if (s.type === 'string' && s.multiple) parts.push('(repeatable)');
  return parts.filter(Boolean).join(' ');
}

const HELP_FLAG: FlagSpec = { type: 'boolean', char: 'h', description: 'Show this help.', helpGroup: 'GLOBAL' };

/** `krypt members invite --help`. */
export function commandHelp(ctx: HelpContext, spec: AnyCommand): string {
  const flags = Object.entries({ ...commandFlags(spec), help: HELP_FLAG }).filter(([, s]) => !s.hidden);
  const args = Object.entries((spec.args ?? {}) as ArgSet);
  const usage = spec.usage
    ? `krypt ${spec.usage}`
    : [
        `krypt ${spoken(spec.id)}`,
        ...args.map(([name, a]) => (a.required ? name.toUpperCase() : `[${name.toUpperCase()}]`)),
        ...(spec.variadic ? ['...'] : []),
        ...flags.filter(([, s]) => s.required).map(([name, s]) => `--${name}${s.type === 'boolean' ? '' : ' <value>'}`),
        '[FLAGS]',
      ].join(' ');
  const own = flags.filter(([, s]) => s.helpGroup !== 'GLOBAL');
  const global = flags.filter(([, s]) => s.helpGroup === 'GLOBAL');
  const out = [wrap(summary(spec.description), ctx.width) + '\n', section('USAGE', wrap(`$ ${usage}`, ctx.width, 4, 2))];
  if (args.length > 0) out.push(section('ARGUMENTS', table(args.map(([name, a]) => [name.toUpperCase(), a.options ? `${a.description} (${a.options.join('|')})` : a.description]), ctx.width)));
  if (own.length > 0) out.push(section('FLAGS', table(own.map(([name, s]) => [flagLabel(name, s), flagText(s)]), ctx.width)));
  out.push(section('GLOBAL FLAGS', table(global.map(([name, s]) => [flagLabel(name, s), flagText(s)]), ctx.width)));
  const rest = flow(spec.description).slice(summary(spec.description).length).trim();
  if (rest) out.push(section('DESCRIPTION', wrap(rest, ctx.width, 2)));
  if (spec.aliases?.length) out.push(section('ALIASES', spec.aliases.map((a) => `  $ krypt ${spoken(a)}`).join('\n')));
  if (spec.examples?.length) out.push(section('EXAMPLES', spec.examples.map((e) => wrap(`$ ${e}`, ctx.width, 4, 2)).join('\n')));
  return out.join('\n');
}

/** `krypt help completion` and the other built-ins. */
export function builtInHelp(ctx: HelpContext, name: keyof typeof BUILT_INS): string {
  const b = BUILT_INS[name] as (typeof BUILT_INS)[string];
  return [
    wrap(b.description, ctx.width) + '\n',
    section('USAGE', `  $ krypt ${b.usage}`),
    section('EXAMPLES', b.examples.map((e) => wrap(`$ ${e}`, ctx.width, 4, 2)).join('\n')),
  ].join('\n');
}
