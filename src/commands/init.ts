import { defineCommand } from '../cli/command.js';
import { contextFlags } from '../cli/flags.js';
import { promptSelect } from '../cli/prompt.js';
import { openSession } from '../cli/session.js';
import { parseEnvironment } from '../lib/config/context.js';
import { writeKryptFile } from '../lib/config/krypt-file.js';
import { KryptError } from '../lib/errors.js';

interface InitResult {
  project: string;
  environment: string;
  file: string;
  gitignoreUpdated: boolean;
  /** What was added to .gitignore: `.krypt` and `.env` unless already ignored. */
  gitignoreAdded: string[];
}

export default defineCommand({
  id: 'init',
  description: 'Bind this directory to a project: writes .krypt and adds it and .env (where `krypt pull` writes values) to .gitignore, unless already ignored.',
  examples: ['krypt init --project my-app', 'krypt init -p my-app -e staging'],
  flags: { ...contextFlags },
  async run(ctx, { flags }): Promise<InitResult> {
    const session = openSession(ctx.deps, flags, 'init');
    const environment = parseEnvironment(flags.env ?? ctx.deps.env.KRYPT_ENV ?? 'development');
    const { projects } = await session.client.listProjects();
    let project = flags.project ?? ctx.deps.env.KRYPT_PROJECT;
    if (!project) {
      if (!ctx.interactive) {
        throw new KryptError('no_project', 'no project given and stdin is not a terminal', { hint: 'run `krypt init --project SLUG`' });
      }
      if (projects.length === 0) {
        throw new KryptError('no_projects', 'you belong to no project yet', { hint: 'run `krypt projects create SLUG`' });
      }
      project = await promptSelect(ctx.deps, 'Project', projects.map((p) => ({ name: `${p.slug} (${p.role})`, value: p.slug })));
    }
    if (!projects.some((p) => p.slug === project)) {
      throw new KryptError('not_found', `project "${project}" not found among your projects`, {
        kind: 'remote',
        hint: `run \`krypt list\` to see yours, or \`krypt projects create ${project}\``,
      });
    }
    const written = writeKryptFile(ctx.deps.cwd, project, environment);
    const added = written.gitignoreAdded.length > 0 ? ` Added ${written.gitignoreAdded.join(' and ')} to .gitignore.` : '';
    ctx.say(`Bound ${ctx.deps.cwd} to ${project} (${environment}).${added}`);
    return { project, environment, file: written.path, gitignoreUpdated: written.gitignoreUpdated, gitignoreAdded: written.gitignoreAdded };
  },
});
