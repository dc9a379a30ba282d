import type { Command } from '@oclif/core';
import { oclifCommand } from './cli/oclif-command.js';
import { COMMANDS } from './commands/index.js';

// The target of oclif's `explicit` command discovery (package.json "oclif.commands"): every
// command of the registry as oclif's class, for help, the manifest, the README and dispatch.
const classes: Record<string, Command.Class> = Object.fromEntries(
  Object.entries(COMMANDS).map(([id, command]) => [id, oclifCommand(command)]),
);

export default classes;
