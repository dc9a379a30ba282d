import { KryptCommand } from '../../cli/base-command.js';
import { cacheDir, clearCache } from '../../lib/cache/index.js';
import { configDir } from '../../lib/config/config-file.js';

export default class CacheClear extends KryptCommand<{ deleted: number; directory: string }> {
  static override description = 'Delete the encrypted offline copies of environments kept by run, get and pull.';

  async run(): Promise<{ deleted: number; directory: string }> {
    await this.parse(CacheClear);
    const directory = cacheDir(configDir(this.deps.env));
    const deleted = clearCache(configDir(this.deps.env));
    this.say(deleted === 0 ? 'No offline copies to delete.' : `Deleted ${deleted} offline ${deleted === 1 ? 'copy' : 'copies'} from ${directory}.`);
    return { deleted, directory };
  }
}
