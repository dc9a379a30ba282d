import type { CommandContext } from '../../cli/command.js';
import { readMasterKeyText } from '../../cli/prompt.js';
import { serverEntry } from './entry.js';

/**
 * The master key of the server commands that need one: from --master-key-file (warning when the
 * file is readable by others), else a hidden prompt on a terminal, else all of standard input.
 */
export async function readMasterKey(ctx: CommandContext, file: string | undefined, label?: string): Promise<Buffer> {
  const { parseMasterKey, readMasterKeyFile } = await serverEntry();
  if (file) return readMasterKeyFile(file, (message) => ctx.warn(message));
  return parseMasterKey(await readMasterKeyText(ctx.deps, label));
}
