import { KryptError } from '../lib/errors.js';
import type { CliDeps } from './deps.js';

// Prompts load @inquirer/prompts lazily (only interactive paths pay for it) and draw on stderr,
// so stdout stays data. Ctrl-C becomes an ExitPromptError, which the base command maps to exit 130.

/** Hidden input: nothing is echoed. */
export async function promptSecret(deps: CliDeps, message: string): Promise<string> {
  const { password } = await import('@inquirer/prompts');
  return password({ message, mask: false }, { input: deps.stdin, output: deps.stderr });
}

export async function promptConfirm(deps: CliDeps, message: string): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  return confirm({ message, default: false }, { input: deps.stdin, output: deps.stderr });
}

export async function promptSelect<T extends string>(deps: CliDeps, message: string, choices: Array<{ name: string; value: T }>): Promise<T> {
  const { select } = await import('@inquirer/prompts');
  return select<T>({ message, choices }, { input: deps.stdin, output: deps.stderr });
}

export async function promptInput(deps: CliDeps, message: string): Promise<string> {
  const { input } = await import('@inquirer/prompts');
  return input({ message }, { input: deps.stdin, output: deps.stderr });
}

/** The master key's text for server commands without --master-key-file: a hidden prompt on a terminal, else all of stdin. */
export async function readMasterKeyText(deps: CliDeps, label = 'Master key:'): Promise<string> {
  return deps.stdin.isTTY ? promptSecret(deps, label) : readStdin(deps);
}

/** Reads all of stdin as bytes (for input that must be checked before it is decoded). */
export async function readStdinBytes(deps: CliDeps): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of deps.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

/** Reads all of stdin as UTF-8. */
export async function readStdin(deps: CliDeps): Promise<string> {
  return (await readStdinBytes(deps)).toString('utf8');
}

/**
 * Asks before a destructive action: `--yes` skips the question, a non-TTY stdin without it is
 * refused (exit 1), and "no" at the prompt cancels (exit 130).
 */
export async function confirmAction(deps: CliDeps, yes: boolean, question: string, what: string): Promise<void> {
  if (yes) return;
  if (!deps.stdin.isTTY) {
    throw new KryptError('confirmation_required', `refusing to ${what} without confirmation: stdin is not a terminal`, { hint: 'pass --yes' });
  }
  if (!(await promptConfirm(deps, question))) {
    throw new KryptError('cancelled', `cancelled; did not ${what}`, { kind: 'cancelled' });
  }
}
