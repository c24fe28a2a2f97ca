// qtrace against the qmailanalog oracle: DJB's matchup + zoverall, run in the lab on the same logs
// (see the lab README, "qmailanalog oracle"). The oracle's numbers are read from
// <batch>/qmailanalog/{zoverall.txt,matchup.out[.gz]}, never written down here.
//
// matchup.out lines (matchup.c; the man page's "nk nz nd" order is wrong, the code prints nk nd nz):
//   m BIRTH DONE BYTES NK ND NZ <sender> QP UID                      (at `end msg`; BIRTH = `info msg` stamp)
//   d k|d|z BIRTH DSTART DDONE BYTES <sender> CHAN.RECIP QP UID REASON (k success, d failure, z deferral)
//   ? STAMP <any line matchup does not know>                          (bounce msg, triple bounce)
// matchup lower-cases sender and recipient.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeReportText } from '../../parsers/report.js';
import type { Db } from '../../src/store/db.js';
import { matchupLines } from '../../src/report/qmailanalog/matchup.js';
import { zoverall } from '../../src/report/qmailanalog/zscripts.js';
import { ingestPaths, LAB, tempDb } from '../helpers/lab.js';

const MS = 1000; // µs

// ---------------------------------------------------------------------------------------------
// The oracle's files

interface MLine { readonly line: number; readonly birthS: string; readonly birth: number; readonly done: number;
  readonly bytes: number; readonly nk: number; readonly nd: number; readonly nz: number; readonly sender: string;
  readonly qp: string; readonly uid: string }
interface DLine { readonly line: number; readonly r: 'k' | 'd' | 'z'; readonly birthS: string; readonly start: number;
  readonly doneS: string; readonly done: number; readonly bytes: number; readonly sender: string;
  readonly chan: string; readonly recip: string; readonly qp: string; readonly uid: string; readonly reason: string }
interface QLine { readonly line: number; readonly at: number; readonly text: string }
interface Matchup { readonly m: MLine[]; readonly d: DLine[]; readonly q: QLine[] }

/** "1795628986.261242" → µs. */
function us(s: string): number {
  const x = /^(\d+)\.(\d{1,9})$/.exec(s);
  if (x === null) throw new Error(`not a stamp: ${s}`);
  return Number(x[1]) * 1e6 + Number(x[2]!.padEnd(9, '0').slice(0, 6));
}

function readMatchup(batch: string): Matchup {
  const dir = join(LAB, batch, 'qmailanalog');
  const text = existsSync(join(dir, 'matchup.out'))
    ? readFileSync(join(dir, 'matchup.out'), 'utf8')
    : gunzipSync(readFileSync(join(dir, 'matchup.out.gz'))).toString('utf8');
  const out: Matchup = { m: [], d: [], q: [] };
  text.split('\n').forEach((l, i) => {
    if (l === '') return;
    const f = l.split(' ');
    const line = i + 1;
    if (f[0] === 'm' && f.length === 10) {
      out.m.push({ line, birthS: f[1]!, birth: us(f[1]!), done: us(f[2]!), bytes: Number(f[3]), nk: Number(f[4]),
        nd: Number(f[5]), nz: Number(f[6]), sender: f[7]!, qp: f[8]!, uid: f[9]! });
    } else if (f[0] === 'd' && f.length === 11 && (f[1] === 'k' || f[1] === 'd' || f[1] === 'z')) {
      const dot = f[7]!.indexOf('.');
      out.d.push({ line, r: f[1], birthS: f[2]!, start: us(f[3]!), doneS: f[4]!, done: us(f[4]!), bytes: Number(f[5]),
        sender: f[6]!, chan: f[7]!.slice(0, dot), recip: f[7]!.slice(dot + 1), qp: f[8]!, uid: f[9]!, reason: f[10]! });
    } else if (f[0] === '?') {
      out.q.push({ line, at: us(f[1]!), text: f.slice(2).join(' ') });
    } else {
      throw new Error(`matchup.out:${line}: unexpected line ${l.slice(0, 120)}`);
    }
  });
  return out;
}

/** zoverall's "Label: number" lines (the success/failure/deferral split is indented under its total). */
function readZoverall(batch: string): Map<string, number> {
  return parseZoverall(readFileSync(join(LAB, batch, 'qmailanalog', 'zoverall.txt'), 'utf8'));
}

function parseZoverall(text: string): Map<string, number> {
  const z = new Map<string, number>();
  for (const l of text.split('\n')) {
    const x = /^\s*([A-Za-z][^:]*):\s+(-?[0-9.]+)\s*$/.exec(l);
    if (x !== null) z.set(x[1]!.trim(), Number(x[2]));
  }
  return z;
}

function zo(z: Map<string, number>, label: string): number {
  const v = z.get(label);
  if (v === undefined) throw new Error(`zoverall.txt has no "${label}"`);
  return v;
}

/**
 * splogger cuts a qmail-send line after 799 characters and logs the rest as a second line with the same
 * stamp and '+' in place of the space. matchup's sed keeps only the first part. Returns, per stamp,
 * the text matchup saw (head) and the whole line (full).
 */
function sploggerSplits(path: string): Map<string, { head: string; full: string }> {
  const out = new Map<string, { head: string; full: string }>();
  if (!statSync(path).isFile()) return out; // a multilog directory: no splogger
  const lines = (path.endsWith('.gz') ? gunzipSync(readFileSync(path)) : readFileSync(path)).toString('utf8').split('\n');
  for (let i = 1; i < lines.length; i++) {
    const c = / qmail: (\d+\.\d+)\+(.*)$/.exec(lines[i]!);
    if (c === null) continue;
    const h = / qmail: (\d+\.\d+) (.*)$/.exec(lines[i - 1]!);
    if (h === null || h[1] !== c[1]) throw new Error(`continuation without its head at line ${i + 1}`);
    out.set(c[1]!, { head: h[2]!, full: h[2]! + c[2]! });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// qtrace's side

interface QMsg { id: string; key: string; msg: number; queued_us: number; ended_us: number; bytes: number;
  sender: string; qp: number; uid: number; bounce_qp: number | null; triple_bounce: number }
interface QDel { message_id: string; seq: number; run: number; did: number; channel: string; recipient: string;
  started_us: number; finished_us: number; result: string; reason: string | null }

const RESULT = { k: 'success', d: 'failure', z: 'deferral' } as const;

/** zoverall's counters as the product prints them (report --format zoverall: src/report/qmailanalog/). */
function qtraceTotals(db: Db) {
  const z = parseZoverall(zoverall(matchupLines(db)));
  return {
    completed: zo(z, 'Completed messages'), recipients: zo(z, 'Recipients for completed messages'),
    attemptsCompleted: zo(z, 'Total delivery attempts for completed messages'), bytes: zo(z, 'Bytes in completed messages'),
    bytesWeighted: zo(z, 'Bytes weighted by success'), attempts: zo(z, 'Total delivery attempts'),
    success: zo(z, 'success'), failure: zo(z, 'failure'), deferral: zo(z, 'deferral'),
    xdelay: zo(z, 'Total xdelay (s)'), ddelay: zo(z, 'Total ddelay (s)'),
  };
}

// ---------------------------------------------------------------------------------------------

interface Batch { readonly batch: string; readonly input: string }
const BATCHES: readonly Batch[] = [
  { batch: 'b1-scenarios', input: 'logs/send' },            // multilog
  { batch: 'd1-syslog-restart', input: 'logs/maillog.gz' },    // syslog via splogger, two restarts
  { batch: 'd2-local-time', input: 'logs/send' },           // multilog
  { batch: 'volume', input: 'logs/send' },                  // gzipped multilog, 179,410 lines
];

interface Compared {
  readonly truncatedInfo: number;      // m lines matchup built from a splogger-cut `info msg`
  readonly truncatedReasons: number;   // d lines whose reason matchup saw cut
  readonly caseKept: string[];         // recipients qtrace shows as logged, matchup lower-cased
  readonly bounces: number; readonly triples: number; readonly forwards: number;
  readonly reusedBounceIds: number;    // `? bounce msg N` lines whose N appears in more than one of them
  readonly birthGapMaxUs: number;      // matchup BIRTH (`info msg`) − qtrace queued (`new msg`)
}

async function compare({ batch, input }: Batch): Promise<Compared> {
  const { db } = tempDb();
  try {
    const inputPath = join(LAB, batch, input);
    const r = await ingestPaths(db, [inputPath], { host: 'vm' });
    expect(r.unknown, 'lines qtrace did not recognise').toBe(0);
    const z = readZoverall(batch);
    const mu = readMatchup(batch);
    const splits = sploggerSplits(inputPath);

    // 1. zoverall's counters, as `report --format zoverall` prints them from the store.
    const t = qtraceTotals(db);
    expect(t.completed, 'Completed messages').toBe(zo(z, 'Completed messages'));
    expect(t.recipients, 'Recipients for completed messages').toBe(zo(z, 'Recipients for completed messages'));
    expect(t.attemptsCompleted).toBe(zo(z, 'Total delivery attempts for completed messages'));
    expect(t.bytes, 'Bytes in completed messages').toBe(zo(z, 'Bytes in completed messages'));
    expect(t.bytesWeighted, 'Bytes weighted by success').toBe(zo(z, 'Bytes weighted by success'));
    expect(t.attempts, 'Total delivery attempts').toBe(zo(z, 'Total delivery attempts'));
    expect(t.success, 'success').toBe(zo(z, 'success'));
    expect(t.failure, 'failure').toBe(zo(z, 'failure'));
    expect(t.deferral, 'deferral').toBe(zo(z, 'deferral'));
    // xdelay: the same attempt times, summed in the same order: the same six decimals
    expect(t.xdelay).toBe(zo(z, 'Total xdelay (s)'));
    // ddelay counts from the birth: qtrace's is `new msg`, matchup's the later `info msg`, so qtrace's is ≥
    expect(t.ddelay).toBeGreaterThanOrEqual(zo(z, 'Total ddelay (s)'));
    // and the m/d lines agree with zoverall (the oracle is self-consistent)
    expect(mu.m.length).toBe(zo(z, 'Completed messages'));
    expect(mu.d.length).toBe(zo(z, 'Total delivery attempts'));

    // 2. every m line ↔ exactly one completed qtrace timeline.
    // through the documented views (qtrace sql's), as a user's query would read the store
    const msgs = db.prepare(`SELECT id, id AS key, msg, queued_us, ended_us, bytes, sender, qp, uid, bounce_qp, triple_bounce
      FROM v_messages WHERE ended_us IS NOT NULL`).all() as QMsg[];
    const dels = db.prepare(`SELECT message AS message_id, seq, run, did, channel, recipient, started_us, finished_us, result, reason
      FROM v_deliveries WHERE result IN ('success', 'failure', 'deferral') ORDER BY message, seq`).all() as QDel[];
    const delsOf = new Map<string, QDel[]>();
    for (const d of dels) {
      let l = delsOf.get(d.message_id);
      if (l === undefined) delsOf.set(d.message_id, (l = []));
      l.push(d);
    }
    const byKey = new Map<string, QMsg[]>();
    const keyOf = (qp: string | number, bytes: number, sender: string): string => `${qp}|${bytes}|${sender}`;
    for (const m of msgs) {
      const k = keyOf(m.qp, m.bytes, `<${m.sender}>`.toLowerCase());
      let l = byKey.get(k);
      if (l === undefined) byKey.set(k, (l = []));
      l.push(m);
    }
    const byQp = new Map<number, QMsg[]>();
    for (const m of msgs) {
      let l = byQp.get(m.qp);
      if (l === undefined) byQp.set(m.qp, (l = []));
      l.push(m);
    }

    const used = new Set<string>();
    const ofIdentity = new Map<string, QMsg>(); // BIRTH|BYTES|SENDER|QP|UID (what d lines repeat) → timeline
    let truncatedInfo = 0;
    let birthGapMaxUs = 0;
    const timesFit = (q: QMsg, m: MLine): boolean => {
      const first = Math.min(q.ended_us, ...(delsOf.get(q.id) ?? []).map((d) => d.started_us));
      // done: the same `end msg` line. birth: matchup stamps `info msg`, qtrace `new msg` (the line before it),
      // so the info stamp lies between qtrace's queued time and the message's first delivery.
      return Math.abs(q.ended_us - m.done) <= MS && q.queued_us <= m.birth && m.birth <= first;
    };
    for (const m of mu.m) {
      const split = splits.get(m.birthS);
      let q: QMsg;
      if (split !== undefined && split.head.startsWith('info msg ')) {
        // matchup saw the `info msg` line cut by splogger: a truncated sender with no '>', and no qp or uid.
        truncatedInfo++;
        const full = /^info msg (\d+): bytes (\d+) from <(.*)> qp (\d+) uid (\d+)$/.exec(split.full);
        expect(full, `joined info line: ${split.full.slice(0, 80)}`).not.toBeNull();
        const [, , bytes, sender, qp, uid] = full!;
        const cands = (byQp.get(Number(qp)) ?? []).filter((x) => x.bytes === Number(bytes) && timesFit(x, m));
        expect(cands, `matchup.out:${m.line}`).toHaveLength(1);
        q = cands[0]!;
        expect(q.sender).toBe(sender);                         // qtrace: the whole sender…
        expect(q.sender.length).toBeGreaterThan(m.sender.length);
        expect(m.sender.endsWith('>')).toBe(false);            // …matchup: a prefix of it, unterminated
        expect(`<${q.sender}`.toLowerCase().startsWith(m.sender)).toBe(true);
        expect([m.qp, m.uid]).toEqual(['0', '0']);             // matchup read qp/uid from fields that were cut off
        expect([q.qp, q.uid]).toEqual([Number(qp), Number(uid)]);
      } else {
        const cands = (byKey.get(keyOf(m.qp, m.bytes, m.sender)) ?? []).filter((x) => timesFit(x, m));
        expect(cands, `matchup.out:${m.line}: qp ${m.qp} ${m.sender}`).toHaveLength(1);
        q = cands[0]!;
        expect(String(q.uid), `matchup.out:${m.line} uid`).toBe(m.uid);
      }
      expect(used.has(q.id), `${q.key} matched twice`).toBe(false);
      used.add(q.id);
      birthGapMaxUs = Math.max(birthGapMaxUs, m.birth - q.queued_us);
      const ds = delsOf.get(q.id) ?? [];
      const n = (res: string): number => ds.filter((d) => d.result === res).length;
      expect([n('success'), n('failure'), n('deferral')], `matchup.out:${m.line} nk nd nz vs ${q.key}`)
        .toEqual([m.nk, m.nd, m.nz]);
      const ident = `${m.birthS}|${m.bytes}|${m.sender}|${m.qp}|${m.uid}`;
      expect(ofIdentity.has(ident), `matchup.out:${m.line} ambiguous`).toBe(false);
      ofIdentity.set(ident, q);
    }
    expect(used.size).toBe(msgs.length);
    expect(truncatedInfo).toBe([...splits.values()].filter((s) => s.head.startsWith('info msg ')).length);

    // 3. every d line ↔ exactly one qtrace delivery attempt (same message, recipient, result, times).
    const usedDel = new Set<QDel>();
    const caseKept = new Set<string>();
    let truncatedReasons = 0;
    const forwardQps: Array<{ from: QMsg; qp: number }> = [];
    for (const d of mu.d) {
      const q = ofIdentity.get(`${d.birthS}|${d.bytes}|${d.sender}|${d.qp}|${d.uid}`);
      expect(q, `matchup.out:${d.line}: no m line for this d line`).toBeDefined();
      const cands = (delsOf.get(q!.id) ?? []).filter((x) => !usedDel.has(x) && x.channel === d.chan &&
        x.recipient.toLowerCase() === d.recip && x.result === RESULT[d.r] &&
        Math.abs(x.started_us - d.start) <= MS && Math.abs(x.finished_us - d.done) <= MS);
      expect(cands.length, `matchup.out:${d.line}: ${d.chan}.${d.recip} ${RESULT[d.r]} in ${q!.key}`).toBeGreaterThanOrEqual(1);
      const x = cands[0]!;
      usedDel.add(x);
      if (x.recipient !== d.recip) caseKept.add(x.recipient);
      const split = splits.get(d.doneS);
      if (split !== undefined && split.head.startsWith('delivery ')) {
        // matchup saw the failure text cut after 799 characters of the line; qtrace joined the continuation
        truncatedReasons++;
        const full = /^delivery \d+: (?:success|failure|deferral): (\S+)$/.exec(split.full);
        expect(full).not.toBeNull();
        expect(x.reason).toBe(decodeReportText(full![1]!));
        expect(x.reason!.length).toBeGreaterThan(decodeReportText(d.reason).length);
        expect(x.reason!.startsWith(decodeReportText(d.reason))).toBe(true);
      } else {
        expect(x.reason, `matchup.out:${d.line} reason`).toBe(decodeReportText(d.reason));
      }
      const fw = /did_\d+\+[1-9]\d*\+\d+\/qp_(\d+)\//.exec(d.reason);
      if (fw !== null) forwardQps.push({ from: q!, qp: Number(fw[1]) });
    }
    expect(usedDel.size).toBe(dels.length);
    expect(truncatedReasons).toBe([...splits.values()].filter((s) => s.head.startsWith('delivery ')).length);

    // 4. what matchup prints but cannot link: `? bounce msg N qp Q`, `? triple bounce: discarding bounce/N`,
    //    and forwards (`did_0+1+0/qp_Q/` in a d line's reason).
    const byMsg = new Map<number, QMsg[]>();
    for (const m of msgs) {
      let l = byMsg.get(m.msg);
      if (l === undefined) byMsg.set(m.msg, (l = []));
      l.push(m);
    }
    const alive = (msg: number, at: number): QMsg[] => (byMsg.get(msg) ?? []).filter((m) => m.queued_us <= at && at <= m.ended_us);
    const mLine = new Set(mu.m.map((m) => `${m.qp}|${m.sender}`));
    const link = db.prepare('SELECT to_message FROM v_links WHERE kind = ? AND from_message = ?').pluck();
    const keyed = new Map(msgs.map((m) => [m.key, m]));
    const bounceIds = new Map<number, number>();
    const originals = new Set<string>();
    let bounces = 0, triples = 0;
    for (const l of mu.q) {
      const b = /^bounce msg (\d+) qp (\d+)$/.exec(l.text);
      const tb = /^triple bounce: discarding bounce\/(\d+)$/.exec(l.text);
      if (b !== null) {
        bounces++;
        const [n, qp] = [Number(b[1]), Number(b[2])];
        bounceIds.set(n, (bounceIds.get(n) ?? 0) + 1);
        const orig = alive(n, l.at);
        expect(orig, `matchup.out:${l.line}: ${l.text}`).toHaveLength(1);
        expect(orig[0]!.bounce_qp).toBe(qp);
        originals.add(orig[0]!.id);
        // qtrace links the original to the bounce message, which matchup printed as an unrelated m line
        const to = link.all('bounce', orig[0]!.key) as string[];
        expect(to, `${orig[0]!.key}: bounce link`).toHaveLength(1);
        const bm = keyed.get(to[0]!);
        expect(bm?.qp).toBe(qp);
        expect(['', '#@[]']).toContain(bm?.sender);            // a bounce, or a double bounce to postmaster
        expect(mLine.has(`${qp}|<${bm?.sender}>`), `matchup has no m line for bounce qp ${qp}`).toBe(true);
      } else if (tb !== null) {
        triples++;
        const orig = alive(Number(tb[1]), l.at);
        expect(orig, `matchup.out:${l.line}: ${l.text}`).toHaveLength(1);
        expect(orig[0]!.triple_bounce).toBe(1);
        expect(orig[0]!.sender).toBe('#@[]');
      } else {
        throw new Error(`matchup.out:${l.line}: unexpected "? ${l.text}"`);
      }
    }
    expect(originals.size).toBe(bounces); // a reused id in `bounce msg N` still names N's right incarnation
    expect(msgs.filter((m) => m.bounce_qp !== null)).toHaveLength(bounces);
    expect(msgs.filter((m) => m.triple_bounce === 1)).toHaveLength(triples);
    for (const f of forwardQps) {
      const to = link.all('forward', f.from.key) as string[];
      expect(to.map((k) => keyed.get(k)?.qp), `${f.from.key}: forward link`).toContain(f.qp);
      expect(mu.m.some((m) => m.qp === String(f.qp)), `matchup has no m line for forward qp ${f.qp}`).toBe(true);
    }

    return {
      truncatedInfo, truncatedReasons, caseKept: [...caseKept].sort(), bounces, triples, forwards: forwardQps.length,
      reusedBounceIds: [...bounceIds.values()].filter((c) => c > 1).reduce((a, c) => a + c, 0), birthGapMaxUs,
    };
  } finally {
    db.close();
  }
}

describe('qmailanalog oracle (matchup + zoverall)', () => {
  it('b1-scenarios: totals, every m/d line; bounces, double and triple bounce, forwards linked', async () => {
    const c = await compare(BATCHES[0]!);
    expect(c.truncatedInfo + c.truncatedReasons).toBe(0);
    expect(c.triples).toBe(1);
    expect(c.forwards).toBe(2);
    expect(c.reusedBounceIds).toBeGreaterThan(0);                // e.g. `bounce msg 1442661` three times
    expect(c.caseKept).toContain('Tammy-Bob@MX.Example.Test');   // b1-008: matchup shows it lower-cased
  });

  it('d1-syslog-restart: two restarts; splogger-cut lines are cut in matchup, whole in qtrace', async () => {
    const c = await compare(BATCHES[1]!);
    expect(c.truncatedInfo).toBe(1);      // d1-121's 890-character sender
    expect(c.truncatedReasons).toBe(1);   // d1-122's tammy-longfail failure text
  });

  it('d1-syslog-restart: delivery numbers restart per run; attempts after a restart still land on their message', async () => {
    const { db } = tempDb();
    try {
      await ingestPaths(db, [join(LAB, 'd1-syslog-restart', 'logs', 'maillog.gz')], { host: 'vm' });
      const runs = db.prepare('SELECT count(DISTINCT run) FROM deliveries').pluck().get() as number;
      expect(runs).toBe(3);
      const reused = db.prepare('SELECT count(*) FROM (SELECT did FROM deliveries GROUP BY did HAVING count(DISTINCT run) > 1)')
        .pluck().get() as number;
      expect(reused).toBeGreaterThan(0);
      // messages queued in one run and retried in a later one (bare `starting delivery`, no new/info msg)
      const spanning = db.prepare(`SELECT count(*) FROM (SELECT message_id FROM deliveries GROUP BY message_id
        HAVING count(DISTINCT run) > 1)`).pluck().get() as number;
      expect(spanning).toBe(23);
    } finally {
      db.close();
    }
  });

  it('d2-local-time: totals, every m/d line, the forward', async () => {
    const c = await compare(BATCHES[2]!);
    expect(c.truncatedInfo + c.truncatedReasons).toBe(0);
    expect(c.forwards).toBe(1);
  });

  it('volume: gzipped multilog; qp reuse (pid wrap) told apart by time', async () => {
    const c = await compare(BATCHES[3]!);
    expect(c.truncatedInfo + c.truncatedReasons).toBe(0);
    expect(c.bounces).toBeGreaterThan(0);
  });
});
