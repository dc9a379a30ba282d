import { tmpdir } from 'node:os';
import { arg, defineCommand, flag } from '../cli/command.js';
import { apiFlags } from '../cli/flags.js';
import { openSession } from '../cli/session.js';
import type { CreateSignInLinkResponse } from '../contract/index.js';
import { openInBrowser } from '../lib/browser/open-browser.js';
import { KryptError } from '../lib/errors.js';

// How long the redirect file stays after the opener handed it to the browser.
const KEEP_FILE_MS = 5_000;

export default defineCommand({
  id: 'open',
  description: [
    'Open the Krypt dashboard in your browser, signed in: asks the server for a one-time sign-in link (it works once, within 2 minutes).',
    'The link never appears in any command line: the browser is given a private temporary file that redirects to it.',
    'Without a browser (no DISPLAY/WAYLAND_DISPLAY, no opener), or with --print or --json, the link is printed instead.',
  ].join('\n'),
  examples: ['krypt open', 'krypt open -p my-app', 'krypt open /projects/my-app --print'],
  flags: {
    ...apiFlags,
    project: flag.string({ char: 'p', description: "land on this project's page" }),
    print: flag.boolean({ description: 'print the link on stdout instead of opening a browser' }),
  },
  args: { path: arg({ description: 'dashboard page to land on, e.g. /projects/my-app (default: the start page)' }) },
  async run(ctx, { flags, args }): Promise<CreateSignInLinkResponse> {
    if (args.path !== undefined && flags.project !== undefined) {
      throw new KryptError('usage', 'give a PATH or --project, not both', { hint: 'run `krypt open -p my-app` or `krypt open /projects/my-app`' });
    }
    const path = flags.project !== undefined ? `/projects/${encodeURIComponent(flags.project)}` : args.path && (args.path.startsWith('/') ? args.path : `/${args.path}`);
    const link = await openSession(ctx.deps, flags, 'open').client.createSignInLink(path);
    const seconds = Math.max(0, Math.round((Date.parse(link.expiresAt) - ctx.deps.now().getTime()) / 1000));
    const browser =
      flags.print || ctx.json
        ? { opened: false as const, reason: '' }
        : await openInBrowser(link.url, { platform: process.platform, env: ctx.deps.env, tmpDir: ctx.deps.env.TMPDIR || tmpdir(), keepMs: KEEP_FILE_MS });
    if (browser.opened) {
      ctx.say(`Opened the Krypt dashboard in your browser (the sign-in link works once, within ${seconds} s).`);
      return link;
    }
    if (browser.reason) ctx.say(`Could not open a browser: ${browser.reason}.`);
    ctx.say(`Open this link in your browser; it works once, within ${seconds} s:`);
    ctx.print(link.url + '\n');
    return link;
  },
});
