import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spoken } from '../../src/cli/help.js';
import { TREE } from '../../src/commands/tree.js';
import { krypt, kryptShell, makeSandbox, sh } from '../helpers/cli.js';
import { kryptInProcess } from '../helpers/in-process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// What users of gh, Doppler and Heroku's CLI expect, through the real CLI (bin/run.js, or the
// standalone binary under KRYPT_BIN): help everywhere, the version three ways, "did you mean",
// completion, the aliases of the command tree, exit codes 126/127, whoami offline.

const commands = Object.values(TREE.registry);

describe('CLI conventions', () => {
  let server: TestServer;
  const box = makeSandbox();
  let env: Record<string, string>;
  const cli = (args: string[], extra: Record<string, string> = {}) => krypt(args, { cwd: box.cwd, env: { ...env, ...extra } });

  beforeAll(async () => {
    server = await startTestServer({ dialect: 'sqlite' });
    env = { ...box.env, KRYPT_API_URL: server.url, KRYPT_TOKEN: server.token, KRYPT_PROJECT: 'conv' };
    await server.call('POST', '/v1/projects', { body: { slug: 'conv' } });
    await server.call('POST', '/v1/projects', { body: { slug: 'conv-two' } });
    await server.call('PATCH', '/v1/projects/conv/environments/development/secrets', { body: { set: { GREETING: 'hello' } } });
  });
  afterAll(() => server?.close());

  it('every command has help with usage, flags and at least one example (-h, --help and `krypt help CMD` alike)', async () => {
    for (const c of commands) {
      const words = spoken(c.id).split(' ');
      const help = await kryptInProcess([...words, '--help'], { cwd: box.cwd, env });
      expect(help.code, c.id).toBe(0);
      expect(help.stdout, c.id).toMatch(/\nUSAGE\n {2}\$ krypt /);
      expect(help.stdout, c.id).toMatch(/\nEXAMPLES\n {2}\$ \S/);
      expect(help.stdout, c.id).toContain('-h, --help');
      expect(help.stdout, c.id).toMatch(/ --json\s/); // every command takes --json, run and server start included
      expect((await kryptInProcess([...words, '-h'], { cwd: box.cwd, env })).stdout, c.id).toBe(help.stdout);
      expect((await kryptInProcess(['help', ...words], { cwd: box.cwd, env })).stdout, c.id).toBe(help.stdout);
    }
    // and through the real CLI, for commands on each start-up path
    for (const words of [['run'], ['pull'], ['members', 'invite'], ['server', 'start']]) {
      const [a, b] = await Promise.all([cli([...words, '-h']), cli(['help', ...words])]);
      expect(a.code).toBe(0);
      expect(a.stdout).toBe(b.stdout);
      expect(a.stdout).toContain(`$ krypt ${words.join(' ')}`);
    }
  });

  it('krypt, --help and help show the topics and commands; a topic alone lists its commands', async () => {
    const [bare, long, word, topic, alias] = await Promise.all([cli([]), cli(['--help']), cli(['help']), cli(['members']), cli(['cr'])]);
    expect(bare.code).toBe(0);
    expect(long.stdout).toBe(bare.stdout);
    expect(word.stdout).toBe(bare.stdout);
    expect(bare.stdout).toMatch(/\nTOPICS\n[\s\S]*members\s+Manage who belongs/);
    expect(bare.stdout).toMatch(/\nCOMMANDS\n[\s\S]*completion\s+Print the shell completion script/);
    expect(topic.stdout).toMatch(/members transfer-ownership\s+Make another member the Owner/);
    expect(alias.stdout).toContain('change-requests approve');
    expect(bare.stdout + topic.stdout).not.toMatch(/\w:\w+\s/); // never an internal id like projects:list
  });

  it('--version, -v and `krypt version` print one line with the version and commit; --json as an object', async () => {
    const [a, b, c, j] = await Promise.all([cli(['--version']), cli(['-v']), cli(['version']), cli(['version', '--json'])]);
    expect(a.stdout).toMatch(/^krypt\/\d+\.\d+\.\d+ \((?:[0-9a-f]{7}|unknown)\) linux-x64 (?:node-v|bun-)[\d.]+\n$/);
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).toBe(a.stdout);
    expect(JSON.parse(j.stdout)).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+\.\d+$/), platform: 'linux', arch: 'x64' });
  });

  it('an unknown command or typo: "did you mean", the usual Error/Hint lines, exit 1, JSON with --json', async () => {
    const typo = await cli(['pul']);
    expect(typo).toMatchObject({ code: 1, stdout: '', stderr: 'Error: "pul" is not a krypt command\nHint: did you mean `krypt pull`? Run `krypt --help` for the list\n' });
    const verb = await cli(['members', 'inviet', 'a@example.com']);
    expect(verb.stderr).toBe('Error: "members inviet" is not a krypt command\nHint: did you mean `krypt members invite`? Run `krypt members --help` for the list\n');
    expect(verb.code).toBe(1);
    const far = await cli(['xyzzy']);
    expect(far.stderr).toBe('Error: "xyzzy" is not a krypt command\nHint: run `krypt --help` for the list of commands\n');
    const json = await cli(['pul', '--json']);
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'usage', message: '"pul" is not a krypt command', hint: 'did you mean `krypt pull`? Run `krypt --help` for the list' } });
    const flag = await cli(['--bogus']);
    expect(flag).toMatchObject({ code: 1, stderr: 'Error: unknown flag --bogus\nHint: run `krypt --help` (flags go after the command: `krypt COMMAND --flag`)\n' });
  });

  it('aliases: projects list, secrets pull/push, cr are the same commands', async () => {
    const [list, projects] = await Promise.all([cli(['list']), cli(['projects', 'list'])]);
    expect(projects).toEqual(list);
    expect(projects.stdout).toMatch(/^conv\towner\t/m);
    const [pull, secretsPull] = await Promise.all([cli(['pull', '--stdout']), cli(['secrets', 'pull', '--stdout'])]);
    expect(secretsPull).toEqual(pull);
    expect(pull.stdout).toMatch(/^GREETING='?hello'?$/m);
    writeFileSync(join(box.cwd, 'push.env'), 'GREETING=hello\n');
    const push = await cli(['secrets', 'push', '--file', 'push.env', '--yes']);
    expect(push.code).toBe(0);
    expect((await cli(['secrets', 'push', '--help'])).stdout).toContain('$ krypt push');
    expect((await cli(['cr', 'list'])).code).toBe(0);
  });

  it('run: a missing command exits 127, a file that is not executable 126 (as shells do); --json makes errors JSON', async () => {
    const missing = await cli(['run', '--', 'krypt-no-such-program']);
    expect(missing).toMatchObject({ code: 127, stderr: 'Error: command not found: krypt-no-such-program\nHint: check the command name and your PATH\n' });
    const file = join(box.cwd, 'not-executable.sh');
    writeFileSync(file, 'echo hi\n');
    chmodSync(file, 0o644);
    expect((await cli(['run', '--', file])).code).toBe(126);
    const json = await cli(['run', '--json', '--', 'krypt-no-such-program']);
    expect(json.code).toBe(127);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'command_not_found' } });
    const ok = await cli(['run', '--json', '--', 'sh', '-c', 'printf %s "$GREETING"']);
    expect(ok).toMatchObject({ code: 0, stdout: 'hello' });
  });

  it("a .env or bunfig.toml in the working directory never reaches krypt's settings or run's child (the binary's runtime would autoload them)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krypt-dotenv-'));
    writeFileSync(join(dir, '.env'), 'LOCAL_ONLY=from-dotenv\nGREETING=stale\nKRYPT_API_URL=http://127.0.0.1:1\nKRYPT_PROJECT=nope\n');
    writeFileSync(join(dir, '.env.local'), 'LOCAL_TOO=1\n');
    writeFileSync(join(dir, 'bunfig.toml'), '[run]\npreload = ["./evil.js"]\n');
    writeFileSync(join(dir, 'evil.js'), 'console.log("evil preload ran")\n');
    const res = await krypt(['run', '--', 'sh', '-c', 'printf "%s|%s|%s" "$GREETING" "${LOCAL_ONLY-unset}" "${LOCAL_TOO-unset}"'], { cwd: dir, env });
    expect(res).toMatchObject({ code: 0, stdout: 'hello|unset|unset' });
    expect(res.stderr).not.toContain('evil');
  });

  it('whoami with the server unreachable prints what it knows, says so, and exits 2', async () => {
    const res = await cli(['whoami'], { KRYPT_API_URL: 'http://127.0.0.1:1' });
    expect(res.code).toBe(2);
    expect(res.stdout).toBe(`user\t(unknown: server unreachable)\t\nkey\t${server.token.slice(0, 12)}…\tenv KRYPT_TOKEN\napi url\thttp://127.0.0.1:1\tenv KRYPT_API_URL\n`);
    expect(res.stderr).toMatch(/^Error: cannot reach http:\/\/127\.0\.0\.1:1/);
    const json = await cli(['whoami', '--json'], { KRYPT_API_URL: 'http://127.0.0.1:1' });
    expect(JSON.parse(json.stdout)).toMatchObject({ user: null, verified: false, key: { prefix: server.token.slice(0, 12) } });
    expect(json.stdout + json.stderr).not.toContain(server.token);
    expect(JSON.parse((await cli(['whoami', '--json'])).stdout)).toMatchObject({ verified: true, user: { email: expect.any(String) } });
  });

  it('bash completion, through the real script: topics, commands, flags, flag values, project slugs from the server', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'krypt-path-'));
    writeFileSync(join(bin, 'krypt'), `#!/bin/sh\nexec ${kryptShell()} "$@"\n`);
    chmodSync(join(bin, 'krypt'), 0o755);
    const script = (await cli(['completion', 'bash'])).stdout;
    expect((await sh(`bash -n <<'EOF'\n${script}\nEOF`, { cwd: box.cwd, env })).code).toBe(0);
    const complete = async (line: string) => {
      const words = line.split(' ');
      const test = `source <(krypt completion bash); COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _krypt; printf '%s\\n' "\${COMPREPLY[@]}"`;
      writeFileSync(join(bin, 'complete.bash'), test);
      const res = await sh(`bash '${join(bin, 'complete.bash')}'`, { cwd: box.cwd, env: { ...env, PATH: `${bin}:${env.PATH}` } });
      return res.stdout.split('\n').filter(Boolean);
    };
    expect(await complete('krypt mem')).toEqual(['members']);
    expect(await complete('krypt members in')).toEqual(['invite', 'invites']);
    expect(await complete('krypt pull --fo')).toEqual(['--force', '--format']);
    expect(await complete('krypt pull --format ')).toEqual(['docker', 'env', 'github-env', 'json', 'shell', 'yaml']);
    expect(await complete('krypt run -e pro')).toEqual(['prod', 'production']);
    expect(await complete('krypt get -p con')).toEqual(['conv', 'conv-two']);
    expect(await complete('krypt completion ')).toEqual(['bash', 'fish', 'powershell', 'zsh']);
    expect(await complete('krypt run -- ls ')).toEqual([]);
  });

  it('zsh and fish completion, through the real scripts in the real shells (Debian zsh and fish; .ci/run installs them)', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'krypt-path-'));
    writeFileSync(join(bin, 'krypt'), `#!/bin/sh\nexec ${kryptShell()} "$@"\n`);
    chmodSync(join(bin, 'krypt'), 0o755);
    const shellEnv = { ...env, PATH: `${bin}:${env.PATH}` };
    writeFileSync(join(bin, '_krypt'), (await cli(['completion', 'zsh'])).stdout);
    // zsh: the completion function with compadd/_files standing in for the completion system's own.
    const zsh = await sh(
      `zsh -c 'compdef() { :; }; compadd() { [[ $1 == -- ]] && shift; print -l -- "$@"; }; _files() { print -- "(files)"; }; source ${bin}/_krypt; ` +
        `words=(krypt mem); CURRENT=2; _krypt; print -- ---; words=(krypt get -p ""); CURRENT=4; _krypt; print -- ---; words=(krypt run -- ls ""); CURRENT=5; _krypt'`,
      { cwd: box.cwd, env: shellEnv },
    );
    expect(zsh.stdout).toBe('members\n---\nconv\nconv-two\n---\n(files)\n');
    const fish = await sh(`fish -c 'krypt completion fish | source; complete -C "krypt members in"; echo ---; complete -C "krypt run -e pro"'`, { cwd: box.cwd, env: shellEnv });
    expect(fish.stdout).toBe('invite\ninvites\n---\nprod\nproduction\n');
  });

  it('zsh, fish and PowerShell scripts call back into krypt; an unknown shell is a usage error', async () => {
    for (const [shell, marker] of [['zsh', '#compdef krypt'], ['fish', 'complete -c krypt'], ['powershell', 'Register-ArgumentCompleter -Native -CommandName krypt']] as const) {
      const res = await cli(['completion', shell]);
      expect(res.code).toBe(0);
      expect(res.stdout).toContain(marker);
      expect(res.stdout).toContain('krypt __complete');
    }
    const bad = await cli(['completion', 'tcsh']);
    expect(bad).toMatchObject({ code: 1, stderr: 'Error: no completion for "tcsh"\nHint: one of: krypt completion bash, krypt completion zsh, krypt completion fish, krypt completion powershell\n' });
  });
});
