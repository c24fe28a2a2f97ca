// The lab's qmail, rebuilt from test/lab/README.md ("Configuration used" and
// "Configuration added"), and checked against what really happened to the lab's mail
// (b1-scenarios/ground-truth.json: verified from the mailboxes, the sink and the bounces).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain } from '../../src/explain/index.js';
import type { ExplainOptions, ExplainResult } from '../../src/explain/index.js';
import { LAB, Tree, buildLabTree, labUser } from './helpers.js';

const have = existsSync(join(LAB, 'README.md'));
let tree: Tree;
let entries: readonly string[] = [];

const run = (address: string, opts: ExplainOptions = {}): ExplainResult => explain(address, { sysroot: tree.sys, ...opts });

describe.skipIf(!have)('the lab configuration (test/lab)', () => {
  beforeAll(() => {
    ({ tree, entries } = buildLabTree());
  });
  afterAll(() => tree?.cleanup());

  it('rebuilds every control file, .qmail file and users/assign from the README', () => {
    expect(entries).toEqual(expect.arrayContaining([
      'control/locals', 'control/rcpthosts', 'control/virtualdomains', 'control/smtproutes', 'control/me',
      '~tammy/.qmail-default', '~tammy/.qmail-bob', '/var/vmail/.qmail-alice', 'users/assign',
      '/var/qmail/supervise/qmail-send/run', '~tammy/.qmail-slow',
    ]));
  });

  it('tammy-whatever@mx.example.test is delivered through .qmail-default', () => {
    const r = run('tammy-whatever@mx.example.test');
    expect(r.verdict).toEqual({ smtp: 'accepted', delivery: 'delivered', reason: 'qmail-local as tammy: maildir ./Maildir-default/' });
    expect(r.exitCode).toBe(0);
    expect(r.steps[2].data?.user).toMatchObject({ via: 'passwd', user: 'tammy', home: '/home/tammy', dash: '-', ext: 'whatever' });
    expect(r.steps[3].data).toMatchObject({ file: tree.p('/home/tammy/.qmail-default'), defaultEnv: 'whatever' });
    expect(r.steps[3].decidedBy).toEqual({ file: tree.p('/home/tammy/.qmail-default'), line: 1 });
    expect(r.steps.map((s) => s.mark)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'skip']);
  });

  it('tammy-bob@mx.example.test is delivered through .qmail-bob', () => {
    const r = run('tammy-bob@mx.example.test');
    expect(r.verdict.delivery).toBe('delivered');
    expect(r.steps[3].data?.file).toBe(tree.p('/home/tammy/.qmail-bob'));
    expect(r.steps[3].data?.lines[0]).toMatchObject({ kind: 'maildir', target: './Maildir-bob/', resolved: tree.p('/home/tammy/Maildir-bob/'), level: 'ok' });
  });

  it('carol@virt.example.test bounces: vuser-carol goes to vmail, which has no .qmail-carol and no .qmail-default', () => {
    const r = run('carol@virt.example.test');
    expect(r.steps[1].data).toMatchObject({ channel: 'local', via: 'virtualdomains', rewritten: 'vuser-carol@virt.example.test', localPart: 'vuser-carol' });
    expect(r.steps[1].decidedBy).toEqual({ file: tree.p('/var/qmail/control/virtualdomains'), line: 1 });
    expect(r.steps[2].data?.user).toMatchObject({ via: 'users/cdb', user: 'vmail', home: '/var/vmail', dash: '-', ext: 'carol' });
    expect(r.steps[2].decidedBy).toEqual({ file: tree.p('/var/qmail/users/assign'), line: 1 });
    expect(r.steps[3].data?.searched.map((s) => s.name)).toEqual(['.qmail-carol', '.qmail-default']);
    expect(r.verdict).toEqual({ smtp: 'accepted', delivery: 'bounce', reason: 'Sorry, no mailbox here by that name. (#5.1.1)' });
    expect(r.exitCode).toBe(1);
  });

  it('alice@virt.example.test is delivered to vmail\'s ./alice/Maildir/', () => {
    const r = run('alice@virt.example.test');
    expect(r.verdict).toMatchObject({ delivery: 'delivered', reason: 'qmail-local as vmail: maildir ./alice/Maildir/' });
    expect(r.steps[3].data?.lines[0]?.resolved).toBe(tree.p('/var/vmail/alice/Maildir/'));
  });

  it('x@nodns.invalid is remote (MX lookup); from outside it is refused, from the relay client it is sent', () => {
    const r = run('x@nodns.invalid', { relayclient: true });
    expect(r.steps[1].data).toMatchObject({ channel: 'remote', relay: null });
    expect(r.verdict).toEqual({ smtp: 'accepted', delivery: 'remote', reason: 'qmail-remote sends it to the MX of nodns.invalid' });
    expect(r.exitCode).toBe(0);
    expect(run('x@nodns.invalid').exitCode).toBe(1);
  });

  it('ok@ok.remote.test goes remote through smtproutes to 127.0.0.1:2600', () => {
    const r = run('ok@ok.remote.test', { relayclient: true });
    expect(r.steps[1].data?.relay).toEqual({ key: 'ok.remote.test', host: '127.0.0.1', port: 2600 });
    expect(r.steps[1].decidedBy).toEqual({ file: tree.p('/var/qmail/control/smtproutes'), line: 1 });
    expect(r.exitCode).toBe(0);
  });

  it('someone@elsewhere.test is refused by rcpthosts', () => {
    const r = run('someone@elsewhere.test');
    expect(r.steps[0]).toMatchObject({ mark: 'fail', data: { accepted: false, by: 'not-listed', reply: "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)" } });
    expect(r.steps[0].findings).toContainEqual({ level: 'note', text: 'RELAYCLIENT is set for clients matching "127.0.0.4"', at: { file: tree.p('/etc/tcp.smtp'), line: 3 } });
    expect(r.exitCode).toBe(1);
  });

  it('takes the default delivery from supervise/qmail-send/run (qmail-start ./Maildir/)', () => {
    const r = run('sam@mx.example.test');
    expect(r.verdict.delivery).toBe('delivered');
    // sam has a .qmail; a plain user without one gets qmail-start's argument.
    const { tree: t2 } = buildLabTree();
    try {
      rmSync(t2.p('/home/sam/.qmail'));
      const r2 = explain('sam@mx.example.test', { sysroot: t2.sys });
      expect(r2.steps[3].data?.defaultDelivery).toEqual({ value: './Maildir/', from: { file: t2.p('/var/qmail/supervise/qmail-send/run'), line: 4 } });
      expect(r2.verdict.reason).toBe('qmail-local as sam: maildir ./Maildir/');
    } finally {
      t2.cleanup();
    }
  });
});

// ---------------------------------------------------------------- ground truth of b1

interface TruthRecipient {
  readonly rcpt: string;
  readonly observed: string;
}
interface TruthMessage {
  readonly token: string;
  readonly method: string;
  readonly client_ip?: string;
  readonly recipients: readonly TruthRecipient[];
}

const LOCAL_DOMAINS = /@(mx\.example\.test|example\.test|localhost|virt\.example\.test)$/i;

describe.skipIf(!have)('b1-scenarios ground truth, recipient by recipient', () => {
  beforeAll(() => {
    ({ tree, entries } = buildLabTree());
  });
  afterAll(() => tree?.cleanup());

  const truth = have ? (JSON.parse(readFileSync(join(LAB, 'b1-scenarios', 'ground-truth.json'), 'utf8')) as { messages: TruthMessage[] }) : { messages: [] };
  const cases = truth.messages.flatMap((m) => m.recipients.map((r) => ({ m, r })));

  it('has the recipients to check', () => {
    expect(cases.length).toBeGreaterThan(70);
  });

  it.each(cases.map((c) => [`${c.m.token} ${c.r.rcpt}: ${c.r.observed.slice(0, 60)}`, c] as const))('%s', (_, { m, r }) => {
    // Mail from the relay client 127.0.0.4 and injected mail skip the rcpthosts check.
    const relayclient = m.method !== 'smtp' || m.client_ip === '127.0.0.4';
    const res = run(r.rcpt, { relayclient });
    const obs = r.observed;
    const lines = res.steps[3].data?.lines ?? [];

    if (obs.startsWith('rejected at SMTP: ')) {
      expect(res.steps[0].data?.reply).toBe(obs.slice('rejected at SMTP: '.length));
      expect(res.exitCode).toBe(1);
      return;
    }
    expect(res.verdict.smtp).toBe('accepted');
    if (obs.startsWith('not queued')) return; // databytes: not a property of the address

    if (r.rcpt.includes('@') && !LOCAL_DOMAINS.test(r.rcpt)) {
      // Remote outcomes (sink 250/451/550, DNS) happen after qmail-remote starts: all explain can say is "remote".
      expect(res.verdict.delivery).toBe('remote');
      expect(res.exitCode).toBe(0);
      return;
    }
    const m1 = /^delivered:(~(\w+)|vmail:)(\S+?)(?: \(mbox\))?$/.exec(obs);
    if (m1) {
      const home = m1[2] ? labUser(m1[2]).home : '/var/vmail';
      const rel = m1[2] ? m1[3]?.replace(/^\//, '') : m1[3];
      expect(res.verdict.delivery).toBe('delivered');
      expect(res.exitCode).toBe(0);
      const resolved = lines.filter((l) => l.kind === 'maildir' || l.kind === 'mbox').map((l) => (l.resolved ?? '').replace(/\/$/, ''));
      expect(resolved).toContain(tree.p(`${home}/${rel ?? ''}`));
      return;
    }
    const fwd = /^forwarded:(\S+) ->/.exec(obs);
    if (fwd) {
      expect(res.verdict.delivery).toBe('delivered');
      expect(lines.map((l) => [l.kind, l.target])).toContainEqual(['forward', fwd[1]]);
      return;
    }
    // Bounced or deferred locally: either no mailbox, or a program that chose exit 100/111.
    expect(obs).toMatch(/^(bounced|deferred-then-bounced|discarded)/);
    if (lines.some((l) => l.kind === 'program')) {
      expect(lines.find((l) => l.kind === 'program')?.note).toMatch(/100 .* = bounce/);
    } else {
      expect(res.verdict).toMatchObject({ delivery: 'bounce', reason: 'Sorry, no mailbox here by that name. (#5.1.1)' });
      expect(res.exitCode).toBe(1);
    }
  });
});
