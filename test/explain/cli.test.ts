// The yargs command: flags to explain(), exit codes 0/1/2, one-line usage errors, --json.
import { afterEach, describe, expect, it, vi } from 'vitest';
import yargs from 'yargs';
import { explainCommand, makeExplainCommand } from '../../src/cli/explain-command.js';
import type { ExplainArgv, ExplainCommandDeps } from '../../src/cli/explain-command.js';
import type { ExplainResult } from '../../src/explain/index.js';
import { Tree } from './helpers.js';

let tree: Tree | undefined;
afterEach(() => {
  tree?.cleanup();
  tree = undefined;
});

function lab(): Tree {
  const t = (tree = new Tree());
  const uid = typeof process.getuid === 'function' && process.getuid() !== 0 ? process.getuid() : 7701;
  t.control('me', 'mx.example.com\n');
  t.control('rcpthosts', 'example.com\n');
  t.control('locals', 'example.com\n');
  t.file('/etc/passwd', `alias:x:7790:7790::/var/qmail/alias:/bin/false\njoe:x:${uid}:${uid}::/home/joe:/bin/sh\n`);
  t.dir('/home');
  t.dir('/home/joe', 0o755, { uid, gid: uid });
  t.maildir('/home/joe/Maildir', { uid, gid: uid });
  t.file('/home/joe/.qmail', './Maildir/\n', 0o644, { uid, gid: uid });
  return t;
}

async function cli(args: readonly string[], deps: ExplainCommandDeps = {}): Promise<{ code: number | undefined; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await yargs([...args])
      .command(makeExplainCommand(deps))
      .strict()
      .exitProcess(false)
      .fail((msg, e) => {
        throw e ?? new Error(msg);
      })
      .parseAsync();
    const code = process.exitCode as number | undefined;
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.exitCode = before;
    so.mockRestore();
    se.mockRestore();
  }
}

describe('qtrace explain (CLI)', () => {
  it('exports a ready command for "explain <address>"', () => {
    expect(explainCommand.command).toBe('explain <address>');
  });

  it('prints the checklist and exits 0 for a delivered address', async () => {
    const t = lab();
    const r = await cli(['explain', 'joe@example.com', '--sysroot', t.sys]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^1 ✓ SMTP acceptance/m);
    expect(r.out).toMatch(/Result: delivered .*\(exit 0\)\n$/);
  });

  it('--json prints the same result as data; exit 1 when refused', async () => {
    const t = lab();
    const r = await cli(['explain', 'x@elsewhere.test', '--root', t.root, '--sysroot', t.sys, '--json']);
    expect(r.code).toBe(1);
    const res = JSON.parse(r.out) as ExplainResult;
    expect(res.verdict).toMatchObject({ smtp: 'refused', delivery: 'remote' });
    expect(res.steps.map((s) => s.n)).toEqual([1, 2, 3, 4, 5, 6]);
    const relayed = await cli(['explain', 'x@elsewhere.test', '--sysroot', t.sys, '--json', '--relayclient']);
    expect(relayed.code).toBe(0);
  });

  it('--default-delivery and --patrn reach explain()', async () => {
    const t = lab();
    t.file('/home/joe/.qmail', '', 0o644);
    t.dir('/home/joe', 0o775);
    const r = await cli(['explain', 'joe@example.com', '--sysroot', t.sys, '--json', '--default-delivery', './Maildir/', '--patrn', '022']);
    const res = JSON.parse(r.out) as ExplainResult;
    expect(res.steps[3].data?.defaultDelivery).toEqual({ value: './Maildir/', from: null });
    expect(res.verdict.reason).toBe('Uh-oh: home directory is writable. (#4.7.0)');
    expect(r.code).toBe(1);
  });

  it('usage errors: one "qtrace: …" line on stderr, exit 2, nothing on stdout', async () => {
    const t = lab();
    for (const args of [
      ['explain', '', '--sysroot', t.sys],
      ['explain', 'joe@example.com', '--root', t.p('/no/such/dir')],
      ['explain', 'joe@example.com', '--sysroot', t.sys, '--patrn', 'rw'],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/^qtrace: [^\n]+\n$/);
    }
  });

  it('takes the evidence source from openEvidence, with the parsed arguments', async () => {
    const t = lab();
    const seen: ExplainArgv[] = [];
    const r = await cli(['explain', 'joe@example.com', '--sysroot', t.sys, '--json', '--db', 'x.db'], {
      openEvidence: (argv) => {
        seen.push(argv);
        return {
          recentDeliveries: (address) => [{ id: '1', queued: null, to: address, outcome: 'deferral', reason: 'Uh-oh' }],
          recentSessions: () => [],
        };
      },
    });
    expect(seen[0]?.db).toBe('x.db');
    const res = JSON.parse(r.out) as ExplainResult;
    expect(res.steps[5]).toMatchObject({ mark: 'warn', data: { searched: ['joe@example.com'] } });
  });
});
