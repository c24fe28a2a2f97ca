// Synthetic qmail trees: every verdict of the checklist, against qmail's own rules.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ExplainUsageError, explain, formatExplain } from '../../src/explain/index.js';
import type { EvidenceSource, ExplainOptions, ExplainResult } from '../../src/explain/index.js';
import { dotQmailNames } from '../../src/explain/walk.js';
import { IS_ROOT, Tree, bytes, writeCdb } from './helpers.js';

const me = typeof process.getuid === 'function' ? process.getuid() : 1000;
/** Test uids: real ones when we can chown (root), else everything belongs to us. */
const U = (n: number): { uid: number; gid: number } => (IS_ROOT ? { uid: n, gid: n } : { uid: me, gid: me });
const JOE = U(7701);
const ANN = U(7702);
const ANNM = U(7703);
const VPOP = U(7710);
const ALIAS = U(7790);

let tree: Tree | undefined;
afterEach(() => {
  tree?.cleanup();
  tree = undefined;
});

/** A small, healthy installation: example.com local, virt.test virtual, a passwd, homes and maildirs. */
function base(): Tree {
  const t = (tree = new Tree());
  t.control('me', 'mx.example.com\n');
  t.control('rcpthosts', 'example.com\nvirt.test\n.virt.test\nrelay.test\n');
  t.control('locals', 'example.com\nmx.example.com\n');
  t.control('virtualdomains', 'virt.test:vpop\n');
  t.file(
    '/etc/passwd',
    [
      'root:x:0:0:root:/root:/bin/sh',
      `alias:x:${ALIAS.uid}:${ALIAS.gid}::/var/qmail/alias:/bin/false`,
      `joe:x:${JOE.uid}:${JOE.gid}::/home/joe:/bin/sh`,
      `ann:x:${ANN.uid}:${ANN.gid}::/home/ann:/bin/sh`,
      `ann-marie:x:${ANNM.uid}:${ANNM.gid}::/home/ann-marie:/bin/sh`,
      `vpop:x:${VPOP.uid}:${VPOP.gid}::/var/vpop:/bin/false`,
      '',
    ].join('\n'),
  );
  t.dir('/root', 0o700);
  t.dir('/home');
  for (const [name, o] of [['joe', JOE], ['ann', ANN], ['ann-marie', ANNM]] as const) {
    t.dir(`/home/${name}`, 0o755, o);
    t.maildir(`/home/${name}/Maildir`, o);
    t.file(`/home/${name}/.qmail`, './Maildir/\n', 0o644, o);
  }
  t.dir('/var/vpop', 0o755, VPOP);
  t.dir('/var/qmail/alias', 0o2755, ALIAS);
  t.maildir('/var/qmail/alias/Maildir', ALIAS);
  t.file('/var/qmail/alias/.qmail-postmaster', './Maildir/\n', 0o644, ALIAS);
  t.file('/var/qmail/rc', '#!/bin/sh\nexec env - PATH="/var/qmail/bin:$PATH" qmail-start ./Maildir/ splogger qmail\n', 0o755);
  return t;
}

const run = (t: Tree, address: string, opts: ExplainOptions = {}): ExplainResult => explain(address, { sysroot: t.sys, ...opts });
const step = <N extends 1 | 2 | 3 | 4 | 5 | 6>(r: ExplainResult, n: N): ExplainResult['steps'][number] => {
  const s = r.steps[n - 1];
  if (!s) throw new Error(`no step ${n}`);
  return s;
};
const texts = (r: ExplainResult, n: 1 | 2 | 3 | 4 | 5 | 6): string => step(r, n).findings.map((f) => `${f.level}: ${f.text}`).join('\n');
const route = (r: ExplainResult) => {
  const s = r.steps[1];
  if (!s.data) throw new Error('no route data');
  return s.data;
};
const user = (r: ExplainResult) => r.steps[2].data?.user ?? null;
const dot = (r: ExplainResult) => r.steps[3].data;

describe('step 1: SMTP acceptance (qmail-smtpd rcpthosts)', () => {
  it('exact domain, case-insensitive, with the deciding line', () => {
    const t = base();
    const r = run(t, 'joe@EXAMPLE.Com');
    expect(r.steps[0].mark).toBe('ok');
    expect(r.steps[0].data).toMatchObject({ accepted: true, by: 'rcpthosts', matched: 'example.com', reply: '250 ok' });
    expect(r.steps[0].decidedBy).toEqual({ file: t.p('/var/qmail/control/rcpthosts'), line: 1 });
  });

  it('a ".domain" line matches every subdomain but not the domain itself', () => {
    const t = base();
    t.control('rcpthosts', '.example.net\n');
    expect(run(t, 'x@a.b.example.net', { defaultDelivery: './Maildir/' }).steps[0].data).toMatchObject({ accepted: true, matched: '.example.net' });
    const r = run(t, 'x@example.net');
    expect(r.steps[0].data?.accepted).toBe(false);
    expect(r.verdict.smtp).toBe('refused');
  });

  it('refuses a domain not listed with the 553 reply, exit 1; RELAYCLIENT accepts it', () => {
    const t = base();
    const r = run(t, 'someone@elsewhere.test');
    expect(r.steps[0].mark).toBe('fail');
    expect(r.steps[0].data?.reply).toBe("553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)");
    expect(texts(r, 1)).toMatch(/RELAYCLIENT/);
    expect(r.verdict).toMatchObject({ smtp: 'refused', delivery: 'remote' });
    expect(r.exitCode).toBe(1);
    const rc = run(t, 'someone@elsewhere.test', { relayclient: true });
    expect(rc.steps[0].data).toMatchObject({ accepted: true, by: 'relayclient' });
    expect(rc.exitCode).toBe(0);
  });

  it('lists the tcpserver rules that set RELAYCLIENT when refusing', () => {
    const t = base();
    t.file('/etc/tcp.smtp', '127.0.0.4:allow,RELAYCLIENT=""\n:allow\n');
    const r = run(t, 'x@elsewhere.test');
    expect(r.steps[0].findings).toContainEqual({ level: 'note', text: 'RELAYCLIENT is set for clients matching "127.0.0.4"', at: { file: t.p('/etc/tcp.smtp'), line: 1 } });
  });

  it('a missing rcpthosts accepts everything: open relay, a "!" finding', () => {
    const t = base();
    t.control('rcpthosts', '');
    // An empty rcpthosts refuses all; a missing one accepts all.
    expect(run(t, 'x@elsewhere.test').verdict.smtp).toBe('refused');
    (tree as Tree).cleanup();
    const u = base();
    rmSync(u.p('/var/qmail/control/rcpthosts'));
    const r = run(u, 'x@elsewhere.test');
    expect(r.steps[0].mark).toBe('warn');
    expect(r.steps[0].data?.by).toBe('no-rcpthosts');
    expect(texts(r, 1)).toMatch(/^warn: .*open relay/);
    expect(r.exitCode).toBe(0);
  });

  it('morercpthosts counts only through its cdb', () => {
    const t = base();
    t.control('morercpthosts', 'more.test\n');
    let r = run(t, 'x@more.test');
    expect(r.steps[0].data?.accepted).toBe(false);
    expect(texts(r, 1)).toMatch(/morercpthosts\.cdb does not: .*qmail-newmrh/);
    t.file('/var/qmail/control/morercpthosts.cdb', writeCdb([[bytes('more.test'), new Uint8Array(0)]]));
    r = run(t, 'x@sub.more.test');
    expect(r.steps[0].data?.accepted).toBe(false);
    r = run(t, 'x@More.Test');
    expect(r.steps[0].data).toMatchObject({ accepted: true, by: 'morercpthosts.cdb', matched: 'more.test' });
  });

  it('a corrupt morercpthosts.cdb makes qmail-smtpd answer 421 for hosts rcpthosts does not list', () => {
    const t = base();
    t.file('/var/qmail/control/morercpthosts.cdb', 'garbage');
    expect(run(t, 'joe@example.com').steps[0].data?.accepted).toBe(true);
    const r = run(t, 'x@other.test');
    expect(r.steps[0].data).toMatchObject({ accepted: false, reply: '421 unable to read controls (#4.3.0)' });
    const rc = run(t, 'x@other.test', { relayclient: true });
    expect(rc.steps[0].data?.accepted).toBe(true);
    expect(texts(rc, 1)).toMatch(/^warn: .*not a valid cdb/m);
  });

  it('an address without @ passes the rcpthosts check', () => {
    const t = base();
    expect(run(t, 'joe').steps[0].data).toMatchObject({ accepted: true, by: 'bare-address' });
  });
});


describe('step 2: local or remote (qmail-send rewrite)', () => {
  it('locals has priority over virtualdomains', () => {
    const t = base();
    t.control('virtualdomains', 'virt.test:vpop\nexample.com:shadow\n');
    const r = run(t, 'joe@example.com');
    expect(route(r)).toMatchObject({ channel: 'local', via: 'locals', rewritten: 'joe@example.com', localPart: 'joe' });
    expect(r.steps[1].decidedBy).toEqual({ file: t.p('/var/qmail/control/locals'), line: 1 });
    expect(texts(r, 2)).toMatch(/locals has priority/);
  });

  it('without control/locals, control/me is the local domain', () => {
    const t = base();
    rmSync(t.p('/var/qmail/control/locals'));
    expect(route(run(t, 'joe@mx.example.com'))).toMatchObject({ channel: 'local', via: 'me' });
    expect(route(run(t, 'joe@example.com', { relayclient: true })).channel).toBe('remote');
    rmSync(t.p('/var/qmail/control/me'));
    const r = run(t, 'joe@example.com');
    expect(r.verdict.delivery).toBe('defer');
    expect(r.verdict.reason).toMatch(/cannot start/);
  });

  it('virtualdomains: user@domain, then domain, then .suffixes walking up, then the catch-all', () => {
    const t = base();
    t.control('virtualdomains', ['virt.test:vpop', 'boss@virt.test:special', '.virt.test:far', '.b.virt.test:near', 'skip.test:', ':catch'].join('\n') + '\n');
    const rw = (a: string) => route(run(t, a, { relayclient: true }));
    expect(rw('x@virt.test')).toMatchObject({ via: 'virtualdomains', vdomKey: 'virt.test', rewritten: 'vpop-x@virt.test', localPart: 'vpop-x' });
    expect(rw('Boss@VIRT.test')).toMatchObject({ vdomKey: 'boss@virt.test', rewritten: 'special-Boss@VIRT.test' });
    expect(rw('x@a.b.virt.test')).toMatchObject({ vdomKey: '.b.virt.test', rewritten: 'near-x@a.b.virt.test' });
    expect(rw('x@c.virt.test')).toMatchObject({ vdomKey: '.virt.test', rewritten: 'far-x@c.virt.test' });
    expect(rw('x@anything.else')).toMatchObject({ vdomKey: '', rewritten: 'catch-x@anything.else' });
    // An empty prefix means "not local", even with a catch-all below it.
    const skip = rw('x@skip.test');
    expect(skip.channel).toBe('remote');
    expect(run(t, 'x@skip.test', { relayclient: true }).steps[1].decidedBy?.line).toBe(5);
  });

  it('percenthack turns a%b@domain into a@b', () => {
    const t = base();
    t.control('percenthack', 'relay.test\n');
    const r = run(t, 'joe%example.com@relay.test');
    expect(route(r)).toMatchObject({ address: 'joe@example.com', channel: 'local', localPart: 'joe' });
    expect(texts(r, 2)).toMatch(/percenthack: joe%example.com@relay.test becomes joe@example.com/);
    expect(route(run(t, 'joe%example.com@other.test', { relayclient: true })).channel).toBe('remote');
  });

  it('a bare name gets defaulthost (qmail-inject); envnoathost is mentioned when it differs', () => {
    const t = base();
    expect(route(run(t, 'joe'))).toMatchObject({ address: 'joe@mx.example.com', channel: 'local' });
    t.control('defaulthost', 'example.com\n');
    t.control('envnoathost', 'elsewhere.test\n');
    const r = run(t, 'joe');
    expect(route(r).address).toBe('joe@example.com');
    expect(texts(r, 2)).toMatch(/@elsewhere.test from envnoathost/);
  });

  it('smtproutes: domain, then .suffix, then the ":relay" default; an empty relay means MX', () => {
    const t = base();
    t.control('smtproutes', ['r.test:10.0.0.1', '.r.test:10.0.0.2:2525', 'mx.r.test:', ':smarthost.test:587'].join('\n') + '\n');
    const relay = (a: string) => route(run(t, a, { relayclient: true })).relay;
    expect(relay('x@r.test')).toEqual({ key: 'r.test', host: '10.0.0.1', port: 25 });
    expect(relay('x@a.R.test')).toEqual({ key: '.r.test', host: '10.0.0.2', port: 2525 });
    expect(relay('x@mx.r.test')).toBeNull();
    expect(relay('x@other.org')).toEqual({ key: '', host: 'smarthost.test', port: 587 });
    const r = run(t, 'x@other.org', { relayclient: true });
    expect(r.verdict).toEqual({ smtp: 'accepted', delivery: 'remote', reason: 'qmail-remote sends it to smarthost.test:587 (smtproutes)' });
    expect(r.exitCode).toBe(0);
    expect(r.steps[2].mark).toBe('skip');
  });

  it('warns when a local domain is missing from rcpthosts', () => {
    const t = base();
    t.control('locals', 'example.com\nlocal-only.test\n');
    const r = run(t, 'joe@local-only.test');
    expect(route(r).channel).toBe('local');
    expect(texts(r, 2)).toMatch(/local-only.test is delivered locally but is not in rcpthosts/);
    expect(r.exitCode).toBe(1);
  });

  it('warns when a domain is accepted (rcpthosts) but is neither local nor virtual', () => {
    const t = base();
    const r = run(t, 'x@relay.test');
    expect(route(r).channel).toBe('remote');
    expect(texts(r, 2)).toMatch(/relay.test is in rcpthosts but neither in locals nor in virtualdomains/);
    expect(r.steps[1].mark).toBe('warn');
  });
});

describe('step 3: the user (qmail-lspawn, users/cdb, qmail-getpw)', () => {
  const ASSIGN = [
    `=joe:joe:${JOE.uid}:${JOE.gid}:/home/joe:::`,
    `+list-:joe:${JOE.uid}:${JOE.gid}:/home/joe:-:lists-:`,
    `+list-big-:ann:${ANN.uid}:${ANN.gid}:/home/ann:-::`,
    `+vpop-:vpop:${VPOP.uid}:${VPOP.gid}:/var/vpop:-::`,
    '.',
    '',
  ].join('\n');

  it('"=" entries match the exact local part only', () => {
    const t = base();
    t.assign(ASSIGN);
    const r = run(t, 'joe@example.com');
    expect(user(r)).toMatchObject({ via: 'users/cdb', user: 'joe', dash: '', ext: '' });
    expect(r.steps[2].decidedBy).toEqual({ file: t.p('/var/qmail/users/assign'), line: 1 });
    // joe-x is not "=joe": no assign entry, so qmail-getpw finds the system user joe.
    expect(user(run(t, 'joe-x@example.com', { relayclient: true }))).toMatchObject({ via: 'passwd', user: 'joe', dash: '-', ext: 'x' });
  });

  it('"+" entries: the longest prefix wins and the rest is appended to the extension', () => {
    const t = base();
    t.assign(ASSIGN);
    expect(user(run(t, 'list-foo@example.com'))).toMatchObject({ user: 'joe', dash: '-', ext: 'lists-foo' });
    expect(user(run(t, 'List-Big-Foo@example.com'))).toMatchObject({ user: 'ann', dash: '-', ext: 'Foo' });
    const v = run(t, 'alice@virt.test');
    expect(user(v)).toMatchObject({ user: 'vpop', home: '/var/vpop', dash: '-', ext: 'alice' });
    expect(texts(v, 3)).toMatch(/\+vpop- matches vpop-alice \(wildcard: the rest "alice"/);
  });

  it('a users/cdb older than users/assign is what counts, with a warning', () => {
    const t = base();
    const old = ASSIGN.replace(`+list-big-:ann:${ANN.uid}:${ANN.gid}:/home/ann:-::\n`, '');
    t.assign(ASSIGN, { cdbFrom: old, cdbAge: -100 });
    const r = run(t, 'list-big-foo@example.com');
    expect(user(r)).toMatchObject({ user: 'joe', ext: 'lists-big-foo' });
    expect(r.steps[2].decidedBy).toEqual({ file: t.p('/var/qmail/users/cdb'), line: null });
    expect(r.steps[2].mark).toBe('warn');
    expect(texts(r, 3)).toMatch(/users\/assign was changed after users\/cdb was built/);
    expect(texts(r, 3)).toMatch(/users\/assign gives ann .* but users\/cdb gives joe/);
  });

  it('users/assign without users/cdb is ignored', () => {
    const t = base();
    t.file('/var/qmail/users/assign', ASSIGN);
    const r = run(t, 'list-foo@example.com');
    expect(texts(r, 3)).toMatch(/users\/cdb does not: qmail ignores assign/);
    expect(user(r)).toMatchObject({ via: 'alias', ext: 'list-foo' });
  });

  it('uid 0 in assign: qmail-lspawn refuses to deliver as root', () => {
    const t = base();
    t.assign('=boss:root:0:0:/root:::\n.\n');
    const r = run(t, 'boss@example.com');
    expect(r.verdict).toMatchObject({ delivery: 'defer', reason: 'Not allowed to perform deliveries as root.' });
    expect(r.exitCode).toBe(1);
    expect(r.steps[3].mark).toBe('skip');
  });

  it('a damaged users/cdb defers every local delivery', () => {
    const t = base();
    t.file('/var/qmail/users/cdb', 'not a cdb');
    const r = run(t, 'joe@example.com');
    expect(r.verdict).toMatchObject({ delivery: 'defer', reason: 'Trouble reading users/cdb in qmail-lspawn.' });
  });

  it('qmail-getpw: the longest user name ending before a dash, lowercased', () => {
    const t = base();
    const r = run(t, 'Ann-Marie-X@example.com');
    expect(user(r)).toMatchObject({ via: 'passwd', user: 'ann-marie', dash: '-', ext: 'X' });
    expect(r.steps[2].data?.candidates).toEqual([
      { name: 'ann-marie-x', result: 'no such user' },
      { name: 'ann-marie', result: 'match' },
    ]);
    expect(user(run(t, 'ann-x@example.com'))).toMatchObject({ user: 'ann', ext: 'x' });
  });

  it('root (uid 0) and unknown names go to the alias user with the whole local part as extension', () => {
    const t = base();
    const r = run(t, 'root@example.com');
    expect(user(r)).toMatchObject({ via: 'alias', user: 'alias', home: '/var/qmail/alias', dash: '-', ext: 'root' });
    expect(r.steps[2].data?.candidates).toContainEqual({ name: 'root', result: 'uid 0: qmail-getpw skips it' });
  });

  it.skipIf(!IS_ROOT)('a home owned by someone else disqualifies the user (then: alias)', () => {
    const t = base();
    t.chown(t.p('/home/ann'), JOE);
    const r = run(t, 'ann@example.com');
    expect(user(r)?.via).toBe('alias');
    expect(r.steps[2].data?.candidates[0]?.result).toBe(`home /home/ann is owned by uid ${JOE.uid}, not ${ANN.uid}`);
  });

  it('without an alias user qmail-lspawn defers', () => {
    const t = base();
    t.file('/etc/passwd', `joe:x:${JOE.uid}:${JOE.gid}::/home/joe:/bin/sh\n`);
    const r = run(t, 'nobody@example.com');
    expect(r.verdict).toMatchObject({ delivery: 'defer', reason: 'Unable to find alias user!' });
  });
});

describe('step 4: the .qmail file (qmail-local)', () => {
  it('extension lookup order walks back at each dash', () => {
    expect(dotQmailNames('-', 'a-b-c').names).toEqual(['.qmail-a-b-c', '.qmail-a-b-default', '.qmail-a-default', '.qmail-default']);
    expect(dotQmailNames('-', 'a-').names).toEqual(['.qmail-a-', '.qmail-a-default', '.qmail-default']);
    expect(dotQmailNames('', '').names).toEqual(['.qmail', '.qmaildefault']);
    expect(dotQmailNames('-', 'Foo.Bar').names[0]).toBe('.qmail-foo:bar');
  });

  it('uses the nearest -default file and sets $DEFAULT', () => {
    const t = base();
    t.maildir('/home/joe/Maildir-a', JOE);
    t.file('/home/joe/.qmail-a-default', './Maildir-a/\n', 0o644, JOE);
    t.file('/home/joe/.qmail-default', './Maildir/\n', 0o644, JOE);
    const r = run(t, 'joe-a-b-c@example.com');
    expect(dot(r)?.searched.map((s) => [s.name, s.exists])).toEqual([
      ['.qmail-a-b-c', false],
      ['.qmail-a-b-default', false],
      ['.qmail-a-default', true],
    ]);
    expect(dot(r)?.defaultEnv).toBe('b-c');
    expect(r.steps[3].decidedBy).toEqual({ file: t.p('/home/joe/.qmail-a-default'), line: 1 });
    expect(r.verdict).toMatchObject({ delivery: 'delivered', reason: 'qmail-local as joe: maildir ./Maildir-a/' });
    expect(r.exitCode).toBe(0);
  });

  it('lowercases the extension and turns dots into colons', () => {
    const t = base();
    t.file('/home/joe/.qmail-foo:bar', '&someone@else.test\n', 0o644, JOE);
    const r = run(t, 'joe-Foo.Bar@example.com');
    expect(dot(r)?.file).toBe(t.p('/home/joe/.qmail-foo:bar'));
    expect(dot(r)?.lines[0]).toMatchObject({ kind: 'forward', target: 'someone@else.test' });
  });

  it('an extension without a .qmail file bounces: "Sorry, no mailbox here by that name"', () => {
    const t = base();
    const r = run(t, 'joe-nothere@example.com');
    expect(r.verdict).toEqual({ smtp: 'accepted', delivery: 'bounce', reason: 'Sorry, no mailbox here by that name. (#5.1.1)' });
    expect(r.steps[3].mark).toBe('fail');
    expect(r.exitCode).toBe(1);
  });

  it('no .qmail without an extension, or an empty one: the default delivery', () => {
    const t = base();
    rmSync(t.p('/home/joe/.qmail'));
    let r = run(t, 'joe@example.com');
    expect(dot(r)).toMatchObject({ usesDefaultDelivery: true, defaultDelivery: { value: './Maildir/', from: { file: t.p('/var/qmail/rc'), line: 2 } } });
    expect(r.verdict.delivery).toBe('delivered');
    t.file('/home/joe/.qmail', '', 0o644, JOE);
    r = run(t, 'joe@example.com', { defaultDelivery: './Mailbox' });
    expect(dot(r)).toMatchObject({ usesDefaultDelivery: true, defaultDelivery: { value: './Mailbox', from: null } });
    expect(dot(r)?.lines[0]).toMatchObject({ kind: 'mbox', resolved: t.p('/home/joe/Mailbox') });
  });

  it('finds qmail-start\'s argument in supervise/qmail-send/run, and through control/defaultdelivery', () => {
    const t = base();
    rmSync(t.p('/home/joe/.qmail'));
    rmSync(t.p('/var/qmail/rc'));
    let r = run(t, 'joe@example.com');
    expect(r.steps[3].mark).toBe('warn');
    expect(texts(r, 4)).toMatch(/pass --default-delivery/);
    t.file('/var/qmail/supervise/qmail-send/run', '#!/bin/sh\nexec env - PATH="/var/qmail/bin:$PATH" qmail-start "`cat /var/qmail/control/defaultdelivery`"\n', 0o755);
    t.control('defaultdelivery', './Maildir/\n');
    r = run(t, 'joe@example.com');
    expect(dot(r)?.defaultDelivery).toEqual({ value: './Maildir/', from: { file: t.p('/var/qmail/control/defaultdelivery'), line: null } });
  });

  it('classifies lines and checks maildirs, mboxes and programs', () => {
    const t = base();
    t.file('/usr/bin/okprog', '#!/bin/sh\n', 0o755);
    t.file('/usr/bin/noexec', '#!/bin/sh\n', 0o644);
    t.file('/home/joe/.qmail-mix', ['# comment', './Maildir/', './Mailbox', '|/usr/bin/okprog -x', '|preline procmail', '&fwd@else.test', 'plain@else.test', '+other'].join('\n') + '\n', 0o644, JOE);
    const r = run(t, 'joe-mix@example.com');
    expect(dot(r)?.lines.map((l) => [l.n, l.kind, l.level])).toEqual([
      [1, 'comment', 'note'],
      [2, 'maildir', 'ok'],
      [3, 'mbox', 'ok'],
      [4, 'program', 'ok'],
      [5, 'program', 'ok'],
      [6, 'forward', 'ok'],
      [7, 'forward', 'ok'],
      [8, 'ignored', 'note'],
    ]);
    expect(r.verdict.delivery).toBe('delivered');

    t.file('/home/joe/.qmail-bad1', '|/usr/local/bin/nothere arg\n', 0o644, JOE);
    expect(run(t, 'joe-bad1@example.com').verdict).toMatchObject({ delivery: 'defer', reason: '/usr/local/bin/nothere: not found (sh exit 127, temporary failure)' });
    t.file('/home/joe/.qmail-bad2', '|/usr/bin/noexec\n', 0o644, JOE);
    expect(run(t, 'joe-bad2@example.com').verdict.delivery).toBe('defer');
  });

  it('maildir without new/ defers; without cur/ only warns', () => {
    const t = base();
    t.maildir('/home/joe/M1', JOE);
    rmSync(t.p('/home/joe/M1/new'), { recursive: true });
    t.file('/home/joe/.qmail-m1', './M1/\n', 0o644, JOE);
    expect(run(t, 'joe-m1@example.com').verdict).toMatchObject({ delivery: 'defer', reason: 'Temporary error on maildir delivery. (#4.3.0)' });
    t.maildir('/home/joe/M2', JOE);
    rmSync(t.p('/home/joe/M2/cur'), { recursive: true });
    t.file('/home/joe/.qmail-m2', './M2/\n', 0o644, JOE);
    const r = run(t, 'joe-m2@example.com');
    expect(r.verdict.delivery).toBe('delivered');
    expect(r.steps[3].mark).toBe('warn');
    t.file('/home/joe/.qmail-m3', './Nope/\n', 0o644, JOE);
    expect(run(t, 'joe-m3@example.com').verdict).toMatchObject({ delivery: 'defer', reason: 'Unable to chdir to maildir. (#4.2.1)' });
  });

  it.skipIf(!IS_ROOT)('a maildir behind a directory the user cannot pass defers', () => {
    const t = base();
    t.maildir('/home/joe/private/Maildir', JOE);
    t.dir('/home/joe/private', 0o700, { uid: 0, gid: 0 });
    t.file('/home/joe/.qmail-p', './private/Maildir/\n', 0o644, JOE);
    const r = run(t, 'joe-p@example.com');
    expect(r.verdict).toMatchObject({ delivery: 'defer', reason: 'Unable to chdir to maildir. (#4.2.1)' });
    expect(dot(r)?.lines[0]?.note).toBe(`${t.p('/home/joe/private')} is not searchable by uid ${JOE.uid} — qmail-local defers ("Unable to chdir to maildir")`);
  });

  it('an mbox whose directory is missing defers', () => {
    const t = base();
    t.file('/home/joe/.qmail-mb', './mail/inbox\n', 0o644, JOE);
    expect(run(t, 'joe-mb@example.com').verdict).toMatchObject({ delivery: 'defer', reason: 'Unable to open ./mail/inbox: file does not exist. (#4.2.1)' });
  });

  it('a blank first line defers ("Uh-oh: first line of .qmail file is blank")', () => {
    const t = base();
    t.file('/home/joe/.qmail-blank', '\n./Maildir/\n', 0o644, JOE);
    const r = run(t, 'joe-blank@example.com');
    expect(r.verdict).toMatchObject({ delivery: 'defer', reason: 'Uh-oh: first line of .qmail file is blank. (#4.2.1)' });
    expect(r.steps[3].decidedBy?.line).toBe(1);
  });

  it('the x bit makes a .qmail forward-only; a file delivery then defers', () => {
    const t = base();
    t.file('/home/joe/.qmail-x', './Maildir/\n', 0o744, JOE);
    expect(run(t, 'joe-x@example.com').verdict).toMatchObject({ delivery: 'defer', reason: 'Uh-oh: .qmail has file delivery but has x bit set. (#4.7.0)' });
    t.file('/home/joe/.qmail-y', '&a@else.test\n', 0o744, JOE);
    expect(run(t, 'joe-y@example.com').verdict.delivery).toBe('delivered');
    t.file('/home/joe/.qmail-list', '+list\n|/bin/true\n', 0o644, JOE);
    expect(run(t, 'joe-list@example.com').verdict.reason).toBe('Uh-oh: .qmail has prog delivery but has x bit set. (#4.7.0)');
  });

  it('warns when a failing line comes after deliveries (they repeat on every retry)', () => {
    const t = base();
    t.file('/home/joe/.qmail-dup', './Maildir/\n./Gone/\n', 0o644, JOE);
    const r = run(t, 'joe-dup@example.com');
    expect(r.verdict.delivery).toBe('defer');
    expect(texts(r, 4)).toMatch(/before line 2 are carried out on every retry/);
  });

  it('a DOS line ending turns a maildir line into an mbox line, with a warning', () => {
    const t = base();
    t.file('/home/joe/.qmail-dos', './Maildir/\r\n', 0o644, JOE);
    const r = run(t, 'joe-dos@example.com');
    expect(dot(r)?.lines[0]).toMatchObject({ kind: 'mbox', target: './Maildir/\r' });
    expect(texts(r, 4)).toMatch(/line 1 ends with a carriage return/);
  });

  it('a .qmail that is not a regular file is skipped, as qmail-local does', () => {
    const t = base();
    t.dir('/home/joe/.qmail-d', 0o755, JOE);
    t.file('/home/joe/.qmail-default', './Maildir/\n', 0o644, JOE);
    const r = run(t, 'joe-d@example.com');
    expect(dot(r)?.file).toBe(t.p('/home/joe/.qmail-default'));
    expect(texts(r, 4)).toMatch(/\.qmail-d is not a regular file/);
  });

  it.skipIf(!IS_ROOT)('a .qmail the user cannot read defers', () => {
    const t = base();
    t.file('/home/joe/.qmail-secret', './Maildir/\n', 0o600, { uid: 0, gid: 0 });
    expect(run(t, 'joe-secret@example.com').verdict).toMatchObject({ delivery: 'defer', reason: 'Unable to open .qmail-secret: access denied. (#4.3.0)' });
  });

  it('a .qmail with only comments delivers nothing, and says so', () => {
    const t = base();
    t.file('/home/joe/.qmail-void', '# nothing\n', 0o644, JOE);
    const r = run(t, 'joe-void@example.com');
    expect(r.verdict.delivery).toBe('delivered');
    expect(texts(r, 4)).toMatch(/goes nowhere/);
  });
});

describe('step 5: permissions (qmail-local checkhome, qmeexists)', () => {
  it('a world-writable home defers; group-writable only warns with stock conf-patrn 002', () => {
    const t = base();
    t.dir('/home/joe', 0o757, JOE);
    let r = run(t, 'joe@example.com');
    expect(r.verdict).toMatchObject({ delivery: 'defer', reason: 'Uh-oh: home directory is writable. (#4.7.0)' });
    expect(r.steps[4].mark).toBe('fail');
    t.dir('/home/joe', 0o775, JOE);
    r = run(t, 'joe@example.com');
    expect(r.verdict.delivery).toBe('delivered');
    expect(r.steps[4].mark).toBe('warn');
    expect(run(t, 'joe@example.com', { patrn: 0o022 }).verdict.reason).toBe('Uh-oh: home directory is writable. (#4.7.0)');
  });

  it('a sticky home defers', () => {
    const t = base();
    t.dir('/home/joe', 0o1755, JOE);
    expect(run(t, 'joe@example.com').verdict.reason).toBe('Home directory is sticky: user is editing his .qmail file. (#4.2.1)');
  });

  it('a world-writable .qmail defers', () => {
    const t = base();
    t.file('/home/joe/.qmail', './Maildir/\n', 0o646, JOE);
    const r = run(t, 'joe@example.com');
    expect(r.verdict.reason).toBe('Uh-oh: .qmail file is writable. (#4.7.0)');
    expect(r.steps[4].data?.checks.find((c) => c.role === 'dotqmail')).toMatchObject({ mode: '0646', level: 'fail' });
  });

  it('group-writable parents are "!" warnings', () => {
    const t = base();
    t.dir('/home', 0o775);
    const r = run(t, 'joe@example.com');
    expect(r.verdict.delivery).toBe('delivered');
    expect(r.steps[4].mark).toBe('warn');
    expect(r.steps[4].findings).toContainEqual(expect.objectContaining({ level: 'warn', text: expect.stringMatching(/\/home: group-writable \(0775\)/) }));
    expect(r.steps[4].data?.checks.map((c) => c.role)).toEqual(['parent', 'parent', 'home', 'dotqmail']);
  });

  it.skipIf(!IS_ROOT)('a parent the user cannot search: chdir fails, qmail-local defers', () => {
    const t = base();
    t.dir('/home', 0o700);
    expect(run(t, 'joe@example.com').verdict).toMatchObject({ delivery: 'defer', reason: 'Unable to switch to /home/joe: access denied. (#4.3.0)' });
  });

  it.skipIf(!IS_ROOT)('a home owned by another uid (assign user) is a warning', () => {
    const t = base();
    t.assign(`=x:x:${JOE.uid}:${JOE.gid}:/home/ann:::\n.\n`);
    t.file('/home/ann/.qmail', './Maildir/\n', 0o644, JOE);
    const r = run(t, 'x@example.com');
    expect(r.steps[4].mark).toBe('warn');
    expect(texts(r, 5)).toMatch(new RegExp(`owned by uid ${ANN.uid}, not by the delivery uid ${JOE.uid}`));
  });

  it('a missing home defers ("Unable to switch to")', () => {
    const t = base();
    t.assign(`=ghost:joe:${JOE.uid}:${JOE.gid}:/home/ghost:::\n.\n`);
    expect(run(t, 'ghost@example.com').verdict.reason).toBe('Unable to switch to /home/ghost: file does not exist. (#4.3.0)');
  });
});

describe('step 6: log evidence', () => {
  it('asks the evidence source for the rewritten and the original address', () => {
    const t = base();
    const asked: string[] = [];
    const evidence: EvidenceSource = {
      recentDeliveries(address, limit) {
        asked.push(`d:${address}:${limit}`);
        return address === 'vpop-alice@virt.test'
          ? [{ id: '7', queued: '2026-11-25T17:50:00Z', to: 'vpop-alice@virt.test', outcome: 'success', reason: 'did_1+0+0/' }]
          : [];
      },
      recentSessions(address, limit) {
        asked.push(`s:${address}:${limit}`);
        return address === 'alice@virt.test' ? [{ id: 's1', start: '2026-11-25T17:49:59Z', client: '127.0.0.1', reply: '250 ok' }] : [];
      },
    };
    t.maildir('/var/vpop/alice', VPOP);
    t.file('/var/vpop/.qmail-alice', './alice/\n', 0o644, VPOP);
    t.assign(`+vpop-:vpop:${VPOP.uid}:${VPOP.gid}:/var/vpop:-::\n.\n`);
    const r = run(t, 'alice@virt.test', { evidence, evidenceLimit: 3 });
    expect(asked).toEqual(['d:vpop-alice@virt.test:3', 's:vpop-alice@virt.test:3', 'd:alice@virt.test:3', 's:alice@virt.test:3']);
    expect(r.steps[5]).toMatchObject({ mark: 'ok', data: { searched: ['vpop-alice@virt.test', 'alice@virt.test'] } });
    expect(r.steps[5].data?.deliveries).toHaveLength(1);
    expect(r.steps[5].data?.sessions).toHaveLength(1);
    expect(run(t, 'alice@virt.test').steps[5]).toMatchObject({ mark: 'skip', summary: 'no log database given' });
  });
});

describe('usage errors and rendering', () => {
  it('throws ExplainUsageError for an empty address or a missing root', () => {
    const t = base();
    expect(() => run(t, '')).toThrow(ExplainUsageError);
    expect(() => run(t, ' <> ')).toThrow(/address is empty/);
    expect(() => explain('joe@example.com', { root: t.p('/nope') })).toThrow(/qmail root \(--root\) .*no such directory/);
  });

  it('renders a numbered checklist with marks, file:line and the result', () => {
    const t = base();
    t.maildir('/home/joe/Maildir-bob', JOE);
    t.file('/home/joe/.qmail-bob', './Maildir-bob/\n', 0o644, JOE);
    const text = formatExplain(run(t, 'joe-bob@example.com'));
    const lines = text.split('\n');
    expect(lines[0]).toBe(`qtrace explain joe-bob@example.com  (qmail root ${t.root})`);
    expect(text).toContain(`1 ✓ SMTP acceptance: accepted: example.com is listed in control/rcpthosts\n      at ${t.p('/var/qmail/control/rcpthosts')}:1`);
    expect(text).toMatch(/^2 ✓ Local or remote: local: example.com is in control\/locals/m);
    expect(text).toMatch(/^3 ✓ User: joe \(uid \d+, gid \d+, home \/home\/joe\), dash "-", extension "bob"/m);
    expect(text).toContain(`at ${t.p('/home/joe/.qmail-bob')}:1`);
    expect(text).toMatch(/ {6}\s+1 {2}\.\/Maildir-bob\/ {2}✓ maildir: /);
    expect(text).toMatch(/^6 - Log evidence: no log database given$/m);
    expect(text).toMatch(/Result: delivered — qmail-local as joe: maildir \.\/Maildir-bob\/ {2}\(exit 0\)\n$/);
  });
});
