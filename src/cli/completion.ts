import { ENVIRONMENTS } from '../contract/constants.js';
import { createApiClient } from '../lib/api/client.js';
import { requireCredentials } from '../lib/config/context.js';
import type { FlagSpec } from './command.js';
import type { CliDeps } from './deps.js';
import { findCommand } from './find-command.js';
import { BUILT_INS, type Registry } from './help.js';
import { commandFlags } from './pipeline.js';
import { loadSettings } from './settings.js';

// Tab completion. `krypt completion SHELL` prints a small script for the shell; on every Tab it
// calls `krypt __complete WORD...` (the words typed so far, the last one the word being completed),
// which prints the candidates one per line: topics, commands, flags, and the values of --env
// (environment names) and --project (the slugs of the projects the stored key can reach, asked of
// the server with a short timeout; nothing when it is unreachable).

export const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;
export type Shell = (typeof SHELLS)[number];

const SCRIPTS: Record<Shell, string> = {
  bash: `# krypt completion for bash: add  source <(krypt completion bash)  to ~/.bashrc
_krypt() {
  local IFS=$'\\n'
  COMPREPLY=($(krypt __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _krypt krypt
`,
  zsh: `#compdef krypt
# krypt completion for zsh: krypt completion zsh > "\${fpath[1]}/_krypt" (or source it from ~/.zshrc)
_krypt() {
  local -a candidates
  candidates=(\${(f)"$(krypt __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)"})
  (( \${#candidates} )) && compadd -- "\${candidates[@]}" || _files
}
if [ "\${funcstack[1]}" = "_krypt" ]; then _krypt "$@"; else compdef _krypt krypt; fi
`,
  fish: `# krypt completion for fish: krypt completion fish > ~/.config/fish/completions/krypt.fish
function __krypt_complete
    set -l words (commandline -opc) (commandline -ct)
    krypt __complete $words[2..-1] 2>/dev/null
end
complete -c krypt -f -a '(__krypt_complete)'
`,
  powershell: `# krypt completion for PowerShell: add  krypt completion powershell | Out-String | Invoke-Expression  to $PROFILE
Register-ArgumentCompleter -Native -CommandName krypt -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $words = @($commandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object { $_.ToString() })
  if ($wordToComplete -eq '') { $words += '' }
  krypt __complete @words 2>$null | ForEach-Object {
    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
  }
}
`,
};

export function completionScript(shell: Shell): string {
  return SCRIPTS[shell];
}

export interface CompletionTree {
  registry: Registry;
  topics: Readonly<Record<string, string>>;
  topicAliases: Readonly<Record<string, string>>;
}

const ENV_NAMES = [...ENVIRONMENTS, 'dev', 'stg', 'prod'];

/** The candidates for the last of `words` (the word being completed; '' for a new one). */
export async function complete(tree: CompletionTree, words: readonly string[], deps: CliDeps): Promise<string[]> {
  const cur = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const matching = (candidates: Iterable<string>) => [...new Set(candidates)].filter((c) => c.startsWith(cur)).sort();
  if (before.includes('--')) return [];

  const command = findCommand(tree.registry, before);
  if (!command) {
    const [first, ...more] = before;
    if (first === undefined) return matching([...Object.keys(tree.topics), ...Object.keys(tree.topicAliases), ...topLevel(tree.registry), ...Object.keys(BUILT_INS)]);
    const topic = tree.topicAliases[first] ?? first;
    if (more.length === 0 && Object.hasOwn(tree.topics, topic)) {
      return matching(Object.values(tree.registry).filter((c) => c.id.startsWith(`${topic}:`)).map((c) => c.id.slice(topic.length + 1)));
    }
    if (first === 'help') return matching([...Object.keys(tree.topics), ...topLevel(tree.registry)]);
    if (first === 'completion' && more.length === 0) return matching(SHELLS);
    return [];
  }

  const flags = commandFlags(command.spec);
  const prev = before.at(-1);
  const valueOf = prev === undefined ? undefined : flagNamed(flags, prev);
  if (valueOf && valueOf[1].type !== 'boolean') return matching(await flagValues(valueOf[0], valueOf[1], deps));
  if (cur.startsWith('-')) return matching([...Object.keys(flags).map((n) => `--${n}`), '--help']);
  const positional = Object.entries(command.spec.args ?? {});
  if (positional.some(([name]) => /^env/.test(name))) return matching(ENV_NAMES);
  return [];
}

function topLevel(registry: Registry): string[] {
  return Object.values(registry).filter((c) => !c.id.includes(':')).map((c) => c.id);
}

function flagNamed(flags: Readonly<Record<string, FlagSpec>>, word: string): [string, FlagSpec] | undefined {
  if (word.startsWith('--')) {
    const name = word.slice(2);
    const s = flags[name];
    return s ? [name, s] : undefined;
  }
  if (/^-[a-zA-Z]$/.test(word)) return Object.entries(flags).find(([, s]) => s.char === word[1]);
  return undefined;
}

async function flagValues(name: string, s: FlagSpec, deps: CliDeps): Promise<string[]> {
  if (s.type === 'string' && s.options) return [...s.options];
  if (name === 'env') return ENV_NAMES;
  if (name === 'project') return projectSlugs(deps);
  return [];
}

/** The projects the stored key can reach; nothing if there is no login or the server does not answer within a second. */
async function projectSlugs(deps: CliDeps): Promise<string[]> {
  try {
    const { settings } = loadSettings({ ...deps, stderr: sink(), debug: undefined }, {});
    const { apiUrl, token, caFile } = requireCredentials(settings);
    const client = createApiClient({ apiUrl, token, caFile, command: 'completion', timeoutMs: 1000 });
    return (await client.listProjects()).projects.map((p) => p.slug);
  } catch {
    return [];
  }
}

function sink(): CliDeps['stderr'] {
  return { write: () => true } as unknown as CliDeps['stderr'];
}
