import type { CommandTree } from '../cli/dispatch.js';
import { COMMANDS } from './index.js';
import { CLI_DESCRIPTION, TOPIC_ALIASES, TOPICS } from './topics.js';

/** Every command with its topics: what help, completion and "did you mean" know. */
export const TREE: CommandTree = { registry: COMMANDS, topics: TOPICS, topicAliases: TOPIC_ALIASES, description: CLI_DESCRIPTION };
