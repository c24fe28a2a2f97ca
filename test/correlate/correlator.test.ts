// Events in, timelines out: restarts, reused ids, partial timelines, links and state across runs.
// The lines are real qmail-send shapes; times are seconds from an arbitrary origin.

import { describe, expect, it } from 'vitest';
import { parseSendText } from '../../parsers/qmail-send.js';
import { Correlator, type Output } from '../../src/correlate/correlator.js';
import { keyOf, type Timeline } from '../../src/correlate/timeline.js';

const T0 = 1_795_628_986_000_000;

/** Lines as 'SECONDS TEXT'. Returns every timeline's latest state, by key. */
function feed(c: Correlator, lines: string, host = 'vm'): Map<string, Timeline> {
  for (const l of lines.trim().split('\n')) {
    const t = l.trim();
    const sp = t.indexOf(' ');
    const ev = parseSendText(t.slice(sp + 1));
    if (ev === undefined) throw new Error(`not a qmail-send line: ${t}`);
    c.push(T0 + Math.round(Number(t.slice(0, sp)) * 1e6), host, ev);
  }
  return collect(c.drain(true));
}

function collect(o: Output, into = new Map<string, Timeline>()): Map<string, Timeline> {
  for (const t of o.timelines) into.set(keyOf(t), t);
  return into;
}

const byMsg = (m: Map<string, Timeline>, msg: number): Timeline[] => [...m.values()].filter((t) => t.msg === msg);

describe('correlator', () => {
  it('a cap on open timelines: past it the oldest are let go with a notice, and a later line of one starts a partial timeline', () => {
    const c = new Correlator({ maxOpen: 10 });
    const lines: string[] = [];
    for (let i = 0; i < 12; i++) lines.push(`${i}.000 new msg ${1000 + i}`, `${i}.001 info msg ${1000 + i}: bytes 300 from <a@x.test> qp ${500 + i} uid 1002`);
    const first = feed(c, lines.join('\n'));
    expect(first.size).toBe(12);                       // all written before any is let go
    expect(c.openCount()).toBe(9);                     // a tenth below the cap
    expect(c.evicted).toBe(3);
    const later = c.drain();
    void later;
    const m = feed(c, `13.000 end msg 1000
      13.001 end msg 1011`);
    const [t] = [...m.values()].filter((x) => x.msg === 1000);
    expect(t).toMatchObject({ partial: true, ended: T0 + 13_000_000 });   // 1000 was let go: a new partial timeline
    const [u] = [...m.values()].filter((x) => x.msg === 1011);
    expect(u).toMatchObject({ partial: false, queued: T0 + 11_000_000 }); // 1011 was still followed
  });

  it('the cap says so once it bites', () => {
    const c = new Correlator({ maxOpen: 2 });
    for (let i = 0; i < 3; i++) c.push(T0 + i, 'vm', { kind: 'new_msg', msg: 7 + i });
    const o = c.drain();
    expect(o.notices.map((n) => n.text)).toEqual([expect.stringMatching(/^3 messages open, over the cap of 2: the 2 oldest .* are no longer followed/)]);
  });

  it('a plain life: queued, delivered, ended', () => {
    const m = feed(new Correlator(), `
      0.000 new msg 1442657
      0.001 info msg 1442657: bytes 396 from <ok-sender1@r2.remote.test> qp 9188 uid 1002
      0.002 starting delivery 1: msg 1442657 to local tammy@mx.example.test
      0.003 status: local 1/10 remote 0/20
      0.006 delivery 1: success: did_1+0+0/
      0.007 status: local 0/10 remote 0/20
      0.008 end msg 1442657`);
    const [t] = byMsg(m, 1442657);
    expect(t).toMatchObject({ partial: false, lost: false, qp: 9188, bytes: 396, from: 'ok-sender1@r2.remote.test',
      queued: T0, ended: T0 + 8000 });
    expect(t!.recipients).toEqual([{ to: 'tammy@mx.example.test', channel: 'local', outcome: 'delivered', attempts: 1, last: 0 }]);
  });

  it('an id reused within milliseconds is a new message; one reused before its end is marked lost', () => {
    const c = new Correlator();
    const m = feed(c, `
      0.000 new msg 7
      0.001 end msg 7
      0.002 new msg 7
      0.003 info msg 7: bytes 1 from <a@b> qp 2 uid 0
      0.004 new msg 7
      0.005 end msg 7`);
    const all = byMsg(m, 7);
    expect(all.length).toBe(3);
    expect(all.filter((t) => t.lost).length).toBe(1);
    expect(c.stats.messagesLost).toBe(1);
  });

  it('status: exiting interrupts running deliveries, restarts numbering; a bare start after it continues the message', () => {
    const c = new Correlator();
    const m = feed(c, `
      0.0 new msg 100
      0.1 info msg 100: bytes 500 from <s@x> qp 11 uid 1002
      0.2 starting delivery 5: msg 100 to local tammy-slow@mx.example.test
      0.3 status: local 1/10 remote 0/20
      2.0 status: exiting
      2.1 status: local 0/10 remote 0/20
      3.0 starting delivery 1: msg 100 to local tammy-slow@mx.example.test
      6.0 delivery 1: success: did_1+0+1/
      6.1 end msg 100`);
    const [t] = byMsg(m, 100);
    expect(t!.deliveries.map((d) => [d.run, d.did, d.result])).toEqual([[1, 5, 'interrupted'], [2, 1, 'success']]);
    expect(t!.recipients).toMatchObject([{ outcome: 'delivered', attempts: 2 }]);
    expect(c.stats.restarts).toBe(1);
  });

  it('a restart without `status: exiting` (killed) is seen from the startup status line', () => {
    const c = new Correlator();
    const m = feed(c, `
      0.0 starting delivery 9: msg 200 to remote ok@ok.remote.test
      0.1 status: local 0/10 remote 1/20
      5.0 status: local 0/10 remote 0/20
      5.1 starting delivery 1: msg 200 to remote ok@ok.remote.test`);
    const [t] = byMsg(m, 200);
    expect(t!.partial).toBe(true);
    expect(t!.deliveries.map((d) => d.result)).toEqual(['interrupted', null]);
    expect(t!.recipients[0]!.outcome).toBe('pending');
  });

  it('results whose start was never seen are kept as orphans', () => {
    const c = new Correlator();
    c.push(T0, 'vm', parseSendText('delivery 3: deferral: Sorry,_I_wasn\'t_able_to_establish_an_SMTP_connection._(#4.4.1)/')!);
    const o = c.drain();
    expect(o.orphans).toMatchObject([{ did: 3, result: 'deferral' }]);
  });

  it('bounce and forward links by qp; a later pid reuse with a real sender is not a bounce', () => {
    const c = new Correlator();
    const out: Output[] = [];
    const lines = `
      0.00 new msg 1
      0.01 info msg 1: bytes 9 from <s@x> qp 50 uid 1002
      0.02 starting delivery 1: msg 1 to local nosuch@mx.example.test
      0.03 delivery 1: failure: Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/
      0.04 info msg 9: bytes 9 from <other@x> qp 60 uid 1002
      0.05 bounce msg 1 qp 60
      0.06 end msg 1
      0.07 new msg 2
      0.08 info msg 2: bytes 99 from <> qp 60 uid 1007
      0.09 starting delivery 2: msg 2 to local tammy-fwd@mx.example.test
      0.10 info msg 3: bytes 99 from <> qp 70 uid 1008
      0.11 delivery 2: success: did_0+1+0/qp_70/`;
    for (const l of lines.trim().split('\n')) {
      const t = l.trim(); const sp = t.indexOf(' ');
      c.push(T0 + Number(t.slice(0, sp)) * 1e6, 'vm', parseSendText(t.slice(sp + 1))!);
      out.push(c.drain());
    }
    const links = out.flatMap((o) => o.links);
    expect(links.map((l) => [l.kind, l.qp])).toEqual([['bounce', 60], ['forward', 70]]);
    const keys = new Map(out.flatMap((o) => o.timelines).map((t) => [t.msg, keyOf(t)]));
    expect(links[0]).toMatchObject({ from: keys.get(1), to: keys.get(2) });
    expect(links[1]).toMatchObject({ from: keys.get(2), to: keys.get(3) });
  });

  it('a duplicated recipient is two recipients; a retry is one', () => {
    const m = feed(new Correlator(), `
      0.0 new msg 5
      0.1 starting delivery 1: msg 5 to local tammy@mx.example.test
      0.1 starting delivery 2: msg 5 to local tammy@mx.example.test
      0.1 starting delivery 3: msg 5 to remote once@ok.remote.test
      0.2 delivery 1: success: did_1+0+0/
      0.2 delivery 2: success: did_1+0+0/
      0.3 delivery 3: deferral: 127.0.0.1_does_not_like_recipient./Remote_host_said:_451_try_again/Giving_up_on_127.0.0.1./
      30 starting delivery 4: msg 5 to remote once@ok.remote.test
      30.1 delivery 4: success: 127.0.0.1_accepted_message./Remote_host_said:_250_ok/`);
    const [t] = byMsg(m, 5);
    expect(t!.recipients.map((r) => [r.to, r.outcome, r.attempts])).toEqual([
      ['tammy@mx.example.test', 'delivered', 1], ['tammy@mx.example.test', 'delivered', 1], ['once@ok.remote.test', 'delivered', 2]]);
    expect(t!.deliveries[2]).toMatchObject({ smtpCode: 451, remoteIp: '127.0.0.1' });
  });

  it('a bounce waited for across a restart of qtrace links on its own host only (hosts apart, one named with a |)', () => {
    const a = new Correlator();
    for (const host of ['vm', 'mx|2']) {
      feed(a, `
        0.0 new msg 400
        0.1 info msg 400: bytes 1 from <s@x> qp 11 uid 0
        0.2 starting delivery 1: msg 400 to remote gone@nowhere.test
        0.3 delivery 1: failure: Sorry,_I_couldn't_find_any_host_named_nowhere.test._(#5.1.2)/
        0.4 bounce msg 400 qp 9001
        0.5 end msg 400`, host);
    }
    // the links as the store and the live records name them (the timelines they carry are the writer's shortcut)
    const links = (c: Correlator, host: string, lines: string[]): Array<Pick<Output['links'][number], 'kind' | 'from' | 'to' | 'qp'>> => {
      for (const l of lines) {
        const sp = l.indexOf(' ');
        c.push(T0 + Math.round(Number(l.slice(0, sp)) * 1e6), host, parseSendText(l.slice(sp + 1))!);
      }
      return c.drain(true).links.map(({ kind, from, to, qp }) => ({ kind, from, to, qp }));
    };
    const bounceOf = (host: string, msg: number, at: number): string[] => [`${at}.0 new msg ${msg}`, `${at}.1 info msg ${msg}: bytes 900 from <> qp 9001 uid 1001`];
    // each restore goes through JSON, as the state table does
    const b = Correlator.restore(JSON.parse(JSON.stringify(a.snapshot())), []);
    expect(links(b, 'mx|2', bounceOf('mx|2', 401, 1))).toEqual([{ kind: 'bounce', from: `mx|2:${T0}:400`, to: `mx|2:${T0 + 1_000_000}:401`, qp: 9001 }]);
    const c = Correlator.restore(JSON.parse(JSON.stringify(b.snapshot())), []);
    expect(links(c, 'mx|2', bounceOf('mx|2', 402, 2))).toEqual([]);   // taken already
    expect(links(c, 'vm', bounceOf('vm', 403, 3))).toEqual([{ kind: 'bounce', from: `vm:${T0}:400`, to: `vm:${T0 + 3_000_000}:403`, qp: 9001 }]);
  });

  it('a forward whose copy was queued before a restart of qtrace links after it (a 64-bit id, a host with : and |)', () => {
    const host = 'mx:1|b';
    const a = new Correlator();
    // the copy's info comes first (it races the forward's delivery line); its id is beyond 2^53
    feed(a, `
      0.00 new msg 18446744073709551557
      0.01 info msg 18446744073709551557: bytes 99 from <> qp 70 uid 1008
      0.02 new msg 2
      0.03 info msg 2: bytes 99 from <s@x> qp 60 uid 1007
      0.04 starting delivery 2: msg 2 to local tammy-fwd@mx.example.test`, host);
    const snap = JSON.parse(JSON.stringify(a.snapshot()));
    expect(snap.version).toBe(4);
    // the open timelines come back from the store; the qp map names the copy by its key's parts
    const b = Correlator.restore(snap, a.openTimelines());
    b.push(T0 + 100_000, host, parseSendText('delivery 2: success: did_0+1+0/qp_70/')!);
    const links = b.drain(true).links.map(({ kind, from, to, qp }) => ({ kind, from, to, qp }));
    expect(links).toEqual([{ kind: 'forward', from: `${host}:${T0 + 20_000}:2`, to: `${host}:${T0}:18446744073709551557`, qp: 70 }]);
  });

  it('a version 3 snapshot (an earlier qtrace\'s, its qp maps as host|qp pairs) restores what it waited for', () => {
    const v3 = {
      version: 3,
      hosts: [{ host: 'vm', run: 2, lastDid: 7, inflight: [], last: T0 + 500_000, keysAt: T0 + 500_000, keys: [] }],
      recentInfo: [[`vm|70`, { key: `vm:${T0 + 100_000}:3`, at: T0 + 100_000 }]],
      wanted: [[`vm|9001`, { key: `vm:${T0}:400#2`, at: T0 + 400_000, kind: 'bounce' }]],
    };
    const c = Correlator.restore(JSON.parse(JSON.stringify(v3)), []);
    expect(c.snapshot().hosts[0]).toMatchObject({ run: 2, lastDid: 7 });
    c.push(T0 + 1_000_000, 'vm', parseSendText('new msg 401')!);
    c.push(T0 + 1_100_000, 'vm', parseSendText('info msg 401: bytes 900 from <> qp 9001 uid 1001')!);
    c.push(T0 + 1_200_000, 'vm', parseSendText('new msg 5')!);
    c.push(T0 + 1_300_000, 'vm', parseSendText('starting delivery 8: msg 5 to local fwd@mx.example.test')!);
    c.push(T0 + 1_400_000, 'vm', parseSendText('delivery 8: success: did_0+1+0/qp_70/')!);
    expect(c.drain(true).links.map(({ kind, from, to, qp }) => ({ kind, from, to, qp }))).toEqual([
      { kind: 'bounce', from: `vm:${T0}:400#2`, to: `vm:${T0 + 1_000_000}:401`, qp: 9001 },
      { kind: 'forward', from: `vm:${T0 + 1_200_000}:5`, to: `vm:${T0 + 100_000}:3`, qp: 70 }]);
  });

  it('ids opened twice in one stamp get #2, #3, and a restore in the middle of that stamp counts on', () => {
    const a = new Correlator();
    const first = feed(a, `
      5.0 new msg 400
      5.0 end msg 400
      5.0 new msg 401
      5.0 new msg 400`);
    expect([...first.keys()]).toEqual([`vm:${T0 + 5e6}:400`, `vm:${T0 + 5e6}:401`, `vm:${T0 + 5e6}:400#2`]);
    const snap = JSON.parse(JSON.stringify(a.snapshot()));
    expect(snap.hosts[0].keys).toEqual([[`vm:${T0 + 5e6}:400`, 2], [`vm:${T0 + 5e6}:401`, 1]]);
    const b = Correlator.restore(snap, JSON.parse(JSON.stringify(a.openTimelines())));
    const m = feed(b, `
      5.0 end msg 400
      5.0 new msg 400
      5.0 new msg 401
      6.0 new msg 400`);
    expect([...m.keys()]).toEqual(expect.arrayContaining([`vm:${T0 + 5e6}:400#3`, `vm:${T0 + 5e6}:401#2`, `vm:${T0 + 6e6}:400`]));
  });

  it('state survives a restart of qtrace: snapshot, restore, continue', () => {
    const a = new Correlator();
    feed(a, `
      0.0 new msg 300
      0.1 info msg 300: bytes 1 from <s@x> qp 1 uid 0
      0.2 starting delivery 7: msg 300 to remote temp@ok.remote.test
      0.3 delivery 7: deferral: 127.0.0.1_does_not_like_recipient./Remote_host_said:_451_later/
      0.4 starting delivery 8: msg 300 to local tammy@mx.example.test`);
    // the open timelines travel apart from the snapshot (the store keeps them); both as JSON here
    const b = Correlator.restore(JSON.parse(JSON.stringify(a.snapshot())), JSON.parse(JSON.stringify(a.openTimelines())));
    const m = feed(b, `
      1.0 delivery 8: success: did_1+0+0/
      9.0 starting delivery 9: msg 300 to remote temp@ok.remote.test
      9.5 delivery 9: failure: 127.0.0.1_does_not_like_recipient./Remote_host_said:_451_later/I'm_not_going_to_try_again;_this_message_has_been_in_the_queue_too_long./
      9.6 end msg 300`);
    const [t] = byMsg(m, 300);
    expect(t!.partial).toBe(false);
    expect(t!.recipients.map((r) => [r.to, r.outcome, r.attempts])).toEqual([
      ['temp@ok.remote.test', 'failed', 2], ['tammy@mx.example.test', 'delivered', 1]]);
    expect(t!.deliveries[2]!.tooLong).toBe(true);
    expect(b.openCount()).toBe(0);
  });
});
