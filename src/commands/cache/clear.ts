import { defineCommand } from '../../cli/command.js';
import { cacheDir, clearCache } from '../../lib/cache/index.js';

export default defineCommand({
  id: 'cache:clear',
  description: 'Delete the encrypted offline copies of environments kept by run, get and pull.',
  examples: ['krypt cache clear'],
  flags: {},
  async run(ctx): Promise<{ deleted: number; directory: string }> {
    const directory = cacheDir(ctx.deps.configDir);
    const deleted = clearCache(ctx.deps.configDir);
    ctx.say(deleted === 0 ? 'No offline copies to delete.' : `Deleted ${deleted} offline ${deleted === 1 ? 'copy' : 'copies'} from ${directory}.`);
    return { deleted, directory };
  },
});
