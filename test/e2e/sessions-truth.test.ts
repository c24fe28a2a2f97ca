// SMTP sessions against the lab's ground truth: every message that came in by SMTP is tied to the
// session (client IP and port) that really sent it — exactly on the recordio port 2526 (the qp is in
// the `250 ok … qp Q` reply), by inference or not at all on the plain port 2525 (no qp logged), and
// never to a wrong session. The sessions that queued nothing are found with the right verdict and no
// link. The truth comes from the client side of each connection (its own port, the replies it got),
// never from the logs.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestResult } from '../../src/ingest/to-store.js';
import { findSessions, type SessionView } from '../../src/query/sessions.js';
import type { TimelineView } from '../../src/query/view.js';
import type { Db } from '../../src/store/db.js';
import { qtrace } from '../helpers/cli.js';
import { allTimelines, ingestPaths, LAB, loadTruth, logsafe, tempDb, type TruthMessage } from '../helpers/lab.js';

// ---------------------------------------------------------------------------------------------
// Truth shapes (ground-truth.json's SMTP fields; b1's sessions.json)

const PLAIN = 2525;   // tcpserver + rblsmtpd + qmail-smtpd: tcpserver lines only, no qp
const RECORDIO = 2526; // … + recordio: the whole dialogue, with `250 ok T qp Q`

interface SmtpTruth extends TruthMessage {
  client_ip?: string;
  mail_reply?: string | null;
  data_reply?: string | null;
  recipients: Array<TruthMessage['recipients'][number] & { rcpt_reply?: string }>;
}

interface NoMailSession {
  session: string; port: number; client_ip: string; client_port: number; dialog: string[]; queued: boolean;
}

function noMailSessions(): NoMailSession[] {
  return JSON.parse(readFileSync(join(LAB, 'b1-scenarios', 'sessions.json'), 'utf8')) as NoMailSession[];
}

const code = (reply: string | null | undefined): number | null => (reply == null ? null : Number(reply.slice(0, 3)));

/** Queued according to the truth: some recipient reached qmail-send. */
function queuedTruth(m: TruthMessage): boolean {
  return m.qp != null && m.recipients.some((r) => !r.observed.startsWith('rejected at SMTP') && !r.observed.startsWith('not queued'));
}

/** An address as both logs can show it: multilog keeps raw bytes, splogger turns bytes < 32 or > 126
 *  into '?'; qmail-smtpd drops quotes. */
function wire(addr: string): string {
  let out = '';
  for (const b of Buffer.from(addr.replaceAll('"', ''), 'utf8')) out += b < 32 || b > 126 ? '?' : String.fromCharCode(b);
  return out.toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// One ingested batch

interface Batch {
  readonly name: string;
  readonly db: Db;
  readonly result: IngestResult;
  readonly timelines: TimelineView[];
  readonly sessions: SessionView[];
  readonly truth: SmtpTruth[];
}

async function ingest(name: string, inputs: string[], opts: { tz?: string } = {}): Promise<Batch> {
  const { db } = tempDb();
  const result = await ingestPaths(db, inputs.map((p) => join(LAB, name, 'logs', p)), opts);
  return { name, db, result, timelines: allTimelines(db), sessions: [...findSessions(db, {})],
    truth: loadTruth(name).messages as SmtpTruth[] };
}

/** The timelines of a truth message, matched as truth-check does: qp, logged sender, time. */
function timelinesOf(b: Batch, m: TruthMessage): TimelineView[] {
  return b.timelines.filter((t) => t.qp === m.qp && t.from === logsafe(m.envelope_sender) &&
    (m.time === undefined || Math.abs(Date.parse(t.queued ?? t.first_seen) / 1000 - m.time) < 60));
}

/** The stored sessions of one client connection. */
function sessionsAt(b: Batch, ip: string | undefined, port: number | undefined): SessionView[] {
  return b.sessions.filter((v) => v.session.client.port === port && v.session.client.ip === ip);
}

function linkRows(b: Batch, sessionKey: string): number {
  return (b.db.prepare('SELECT COUNT(*) FROM v_session_messages WHERE session = ?').pluck().get(sessionKey) as number);
}

interface PortStats { n: number; linked: number; correct: number; exact: number; inferred: number; unlinked: string[] }
interface LinkCheck { bad: string[]; byPort: Map<number, PortStats>; injectLinked: number }

/**
 * Every queued truth message: its timeline's session is the truth's connection (IP, port, local
 * port), exact on 2526, inferred or none on 2525; injected messages have none. Not-queued SMTP
 * messages: their connection is a session with no link.
 */
function checkLinks(b: Batch): LinkCheck {
  const bad: string[] = [];
  const byPort = new Map<number, PortStats>();
  const byId = new Map(b.sessions.map((v) => [v.id, v]));
  let injectLinked = 0;
  for (const m of b.truth) {
    if (!queuedTruth(m)) continue;
    const found = timelinesOf(b, m);
    if (found.length !== 1) { bad.push(`${m.token}: ${found.length} timelines (qp ${m.qp}, <${m.envelope_sender}>)`); continue; }
    const t = found[0]!;
    const s = t.session;
    if (m.method !== 'smtp') {
      if (s !== null) { injectLinked++; bad.push(`${m.token}: injected (${m.method}) but linked to session ${s.id}`); }
      continue;
    }
    const port = m.port!;
    let st = byPort.get(port);
    if (st === undefined) byPort.set(port, (st = { n: 0, linked: 0, correct: 0, exact: 0, inferred: 0, unlinked: [] }));
    st.n++;
    if (s === null) {
      st.unlinked.push(m.token);
      if (port === RECORDIO) bad.push(`${m.token}: port ${RECORDIO} (qp ${m.qp} in the 250 reply) but no session`);
      continue;
    }
    st.linked++;
    if (s.link === 'exact') st.exact++; else st.inferred++;
    const local = byId.get(s.id)?.session.local.port;
    const right = s.client.ip === m.client_ip && s.client.port === m.client_port && local === port;
    if (right) st.correct++;
    else bad.push(`${m.token}: linked (${s.link}) to ${s.client.ip}:${s.client.port} → :${local}, truth ${m.client_ip}:${m.client_port} → :${port}`);
    if (port === RECORDIO && s.link !== 'exact') bad.push(`${m.token}: port ${RECORDIO} but ${s.link} link`);
    if (port === PLAIN && s.link !== 'inferred') bad.push(`${m.token}: port ${PLAIN} (no qp logged) but ${s.link} link`);
    if (Date.parse(s.started) > Date.parse(t.queued ?? t.first_seen)) bad.push(`${m.token}: session ${s.id} starts after the message was queued`);
    if (!right || s.link !== 'exact') continue;
    // recordio: what the session shows of the envelope is what the client was told
    if (s.from === null || wire(s.from) !== wire(m.envelope_sender)) bad.push(`${m.token}: session MAIL FROM <${s.from}>, truth <${m.envelope_sender}>`);
    const got = s.rcpts.map((r) => `${wire(r.to)} ${r.code}`);
    const want = m.recipients.filter((r) => r.rcpt_reply !== undefined).map((r) => `${wire(r.rcpt)} ${code(r.rcpt_reply)}`);
    if (got.join('\n') !== want.join('\n')) bad.push(`${m.token}: session RCPTs [${got.join(', ')}], truth [${want.join(', ')}]`);
  }
  // SMTP connections that queued nothing (b1-043 552 databytes, d1-007 555 at MAIL): a session, never linked
  for (const m of b.truth) {
    if (m.method !== 'smtp' || queuedTruth(m)) continue;
    const ss = sessionsAt(b, m.client_ip, m.client_port);
    if (ss.length !== 1) { bad.push(`${m.token}: ${ss.length} sessions from ${m.client_ip}:${m.client_port}`); continue; }
    const v = ss[0]!;
    if (v.messages.length > 0 || linkRows(b, v.id) > 0) bad.push(`${m.token}: queued nothing, but its session has links ${JSON.stringify(v.messages)}`);
    if (v.session.queued === true) bad.push(`${m.token}: queued nothing, session says queued`);
  }
  // every link in the store is accounted for by a truth message (none to bounces, forwards, injects)
  let exactAll = 0, inferredAll = 0, exactTruth = 0, inferredTruth = 0;
  for (const v of b.sessions) for (const l of v.messages) { if (l.link === 'exact') exactAll++; else inferredAll++; }
  for (const st of byPort.values()) { exactTruth += st.exact; inferredTruth += st.inferred; }
  if (exactAll !== exactTruth || inferredAll !== inferredTruth) {
    bad.push(`links in the store: ${exactAll} exact + ${inferredAll} inferred; on truth messages: ${exactTruth} + ${inferredTruth}`);
  }
  return { bad, byPort, injectLinked };
}

function report(label: string, c: LinkCheck): { precision: number; recall: number } {
  const plain = c.byPort.get(PLAIN)!;
  const rec = c.byPort.get(RECORDIO)!;
  const precision = plain.linked === 0 ? 1 : plain.correct / plain.linked;
  const recall = plain.correct / plain.n;
  console.log(`${label}: port ${RECORDIO} exact ${rec.correct}/${rec.n}; port ${PLAIN} inferred links ${plain.linked}, ` +
    `correct ${plain.correct} → precision ${precision.toFixed(3)}, recall ${plain.correct}/${plain.n} = ${recall.toFixed(3)}` +
    (plain.unlinked.length === 0 ? '' : ` (not linked: ${plain.unlinked.join(', ')})`));
  return { precision, recall };
}

/** The no-mail sessions of the truth that some batch holds: found, right verdict, no link. */
function checkNoMail(b: Batch, want: readonly NoMailSession[]): string[] {
  const bad: string[] = [];
  for (const e of want) {
    const ss = sessionsAt(b, e.client_ip, e.client_port);
    if (ss.length !== 1) { bad.push(`${e.session}: ${ss.length} sessions from ${e.client_ip}:${e.client_port}`); continue; }
    const v = ss[0]!;
    const s = v.session;
    const say = (what: string): void => { bad.push(`${e.session} (pid ${s.pid}): ${what}`); };
    if (s.local.port !== e.port) say(`local port ${s.local.port}, truth ${e.port}`);
    if (v.messages.length !== 0 || linkRows(b, v.id) !== 0) say(`has session_links ${JSON.stringify(v.messages)}`);
    if (s.queued === true) say('says queued');
    if (s.open) say('still open');
    const row = b.db.prepare('SELECT tcp, rbl_code, verdict, queued FROM sessions WHERE key = ?').get(v.id) as
      { tcp: string | null; rbl_code: number | null; verdict: string; queued: number | null };
    if (row.verdict !== s.verdict) say(`verdict column ${row.verdict} ≠ detail ${s.verdict}`);

    const rbl = e.session.startsWith('rblsmtpd-');
    const deny = e.session.startsWith('tcprules-deny-');
    if (rbl) {
      // rblsmtpd answers every RCPT and DATA with its text; it runs before recordio, so that is all there is
      const line = e.dialog.find((d) => /^S: [45]\d\d /.test(d))!;
      const c = Number(line.slice(3, 6));
      const text = line.slice(7);
      if (s.verdict !== `rblsmtpd ${c}`) say(`verdict ${s.verdict}, want rblsmtpd ${c}`);
      if (s.rbl?.code !== c || s.rbl.text !== text || row.rbl_code !== c) say(`rbl ${JSON.stringify(s.rbl)} (column ${row.rbl_code}), want ${c} ${text}`);
      if (s.queued !== false) say(`queued ${s.queued}, want false`);
      continue;
    }
    if (deny) {
      if (s.verdict !== 'tcprules deny' || s.tcp !== 'deny' || row.tcp !== 'deny') say(`verdict ${s.verdict} tcp ${s.tcp}, want tcprules deny`);
      if (s.queued !== false) say(`queued ${s.queued}, want false`);
      continue;
    }
    if (e.port === PLAIN) {
      // qmail-smtpd without recordio: only tcpserver's pid/ok/end lines. The dialogue, and so whether
      // anything was queued, cannot be known; the exit status can: a client that drops in DATA makes
      // qmail-smtpd die on the read (exit 1), a QUIT ends it with 0.
      if (s.dialogue || s.transactions.length > 0) say('a dialogue on the plain port?');
      if (s.queued !== null) say(`queued ${s.queued}, the plain port cannot tell`);
      const want = e.session.startsWith('client-drops-in-DATA') ? 'smtpd exit 1 (no dialogue logged)' : 'unknown (no dialogue logged)';
      if (s.verdict !== want) say(`verdict ${s.verdict}, want ${want}`);
      continue;
    }
    // recordio: the dialogue is known, so is the verdict, every reply code, and that nothing was queued
    const dropped = e.dialog.some((d) => d.startsWith('C: <partial data'));
    const want = dropped ? 'dropped during DATA' : 'quit before DATA';
    if (s.verdict !== want) say(`verdict ${s.verdict}, want ${want}`);
    if (s.queued !== false) say(`queued ${s.queued}, want false`);
    if (!s.dialogue) say('no dialogue on the recordio port');
    const helo = e.dialog.find((d) => d.startsWith('C: HELO '))?.slice(8);
    if (s.helo?.arg !== helo) say(`helo ${s.helo?.arg}, want ${helo}`);
    if (s.quit !== e.dialog.includes('C: QUIT')) say(`quit ${s.quit}`);
    if (s.greeting?.code !== 220) say(`greeting ${JSON.stringify(s.greeting)}`);
    // the commands after HELO and their reply codes, in order, as the client saw them
    const wantCmds: string[] = [];
    for (let i = 0; i < e.dialog.length; i++) {
      const d = e.dialog[i]!;
      const next = e.dialog[i + 1];
      if (!d.startsWith('C: ') || next === undefined || !/^S: \d{3}/.test(next)) continue;
      const verb = d.slice(3).split(/[ :]/)[0]!.toUpperCase();
      if (verb !== 'HELO' && verb !== 'QUIT') wantCmds.push(`${verb} ${next.slice(3, 6)}`);
    }
    const got: Array<[number, string]> = [];
    for (const t of s.transactions) {
      got.push([t.start, `MAIL ${t.mailReply?.code ?? '-'}`]);
      for (const r of t.rcpts) got.push([r.time, `RCPT ${r.code ?? '-'}`]);
      for (const d of t.data) got.push([d.time, `DATA ${d.goAhead ? 354 : d.code ?? '-'}`]);
    }
    for (const o of s.otherCommands) got.push([o.time, `${o.word.toUpperCase()} ${o.code ?? '-'}`]);
    const gotCmds = got.sort((x, y) => x[0] - y[0]).map((x) => x[1]);
    if (gotCmds.join(', ') !== wantCmds.join(', ')) say(`commands [${gotCmds.join(', ')}], truth [${wantCmds.join(', ')}]`);
    if (dropped) {
      const d = s.transactions.at(-1)?.data.at(-1);
      if (d?.result !== 'dropped' || !d.goAhead) say(`last DATA ${JSON.stringify(d)}, want dropped after 354`);
    }
  }
  return bad;
}

/** A not-queued SMTP message of the truth: what its session shows. On the recordio port the refusal
 *  itself (MAIL/RCPT/DATA reply codes); on the plain port only that nothing can be told. */
function checkRefused(b: Batch, m: SmtpTruth): string[] {
  const bad: string[] = [];
  const ss = sessionsAt(b, m.client_ip, m.client_port);
  if (ss.length !== 1) return [`${m.token}: ${ss.length} sessions from ${m.client_ip}:${m.client_port}`];
  const s = ss[0]!.session;
  if (s.local.port !== m.port) bad.push(`${m.token}: local port ${s.local.port}, truth ${m.port}`);
  if (ss[0]!.messages.length !== 0) bad.push(`${m.token}: session linked to ${JSON.stringify(ss[0]!.messages)}`);
  if (m.port === PLAIN) {
    if (s.dialogue || s.queued !== null || s.verdict !== 'unknown (no dialogue logged)') {
      bad.push(`${m.token}: plain port, yet dialogue ${s.dialogue} queued ${s.queued} verdict ${s.verdict}`);
    }
    return bad;
  }
  if (s.queued !== false) bad.push(`${m.token}: queued ${s.queued}, want false`);
  const t = s.transactions[0];
  if (t?.mailReply?.code !== code(m.mail_reply)) bad.push(`${m.token}: MAIL reply ${t?.mailReply?.code}, truth ${m.mail_reply}`);
  const rcpts = s.transactions.flatMap((x) => x.rcpts.map((r) => r.code))
    .concat(s.otherCommands.filter((o) => o.verb === 'RCPT').map((o) => o.code));
  const wantRcpts = m.recipients.map((r) => code(r.rcpt_reply));
  if (rcpts.join() !== wantRcpts.join()) bad.push(`${m.token}: RCPT replies ${rcpts.join()}, truth ${wantRcpts.join()}`);
  const data = s.transactions.flatMap((x) => x.data.map((d) => d.code));
  if (m.data_reply != null && !data.includes(code(m.data_reply))) bad.push(`${m.token}: DATA replies ${data.join()}, truth ${m.data_reply}`);
  return bad;
}

// ---------------------------------------------------------------------------------------------

describe('sessions against the ground truth', () => {
  describe('b1-scenarios (multilog send + smtpd + smtpdr)', () => {
    let b: Batch;
    beforeAll(async () => { b = await ingest('b1-scenarios', ['send', 'smtpd', 'smtpdr']); });
    afterAll(() => b?.db.close());

    it('every SMTP message: exact link on 2526, inferred or none on 2525, never a wrong session', () => {
      const c = checkLinks(b);
      expect(c.bad).toEqual([]);
      const { precision, recall } = report('b1-scenarios', c);
      expect(c.byPort.get(RECORDIO)).toMatchObject({ n: 21, exact: 21, correct: 21 });
      expect(c.byPort.get(PLAIN)!.n).toBe(19);
      expect(precision).toBe(1);
      // measured: 15 of 19. Not linked: b1-040/041 (two messages in one session: never inferred),
      // b1-042 and b1-045 (the client that dropped in DATA on 2525 was still connected: two possible parents)
      expect(c.byPort.get(PLAIN)!.correct).toBeGreaterThanOrEqual(15);
      expect(recall).toBeGreaterThanOrEqual(15 / 19);
      expect(b.result.links).toEqual({ exact: 21, inferred: c.byPort.get(PLAIN)!.inferred });
    });

    it('each session of sessions.json is found by client port, with its verdict and no link', () => {
      const want = noMailSessions();
      // the README speaks of 14 no-mail sessions; sessions.json holds 12 (6 per port). b1-043 (552
      // databytes, in ground-truth.json) is the 13th; it is checked in the next test.
      expect(want.length).toBe(12);
      expect(new Set(want.map((e) => e.client_port)).size).toBe(want.length);
      expect(checkNoMail(b, want)).toEqual([]);
    });

    it('b1-043 (552 databytes on the plain port) is a session with no link; b1-037 shows its 553 rcpthosts RCPT', () => {
      const m43 = b.truth.find((m) => m.token === 'b1-043')!;
      expect(m43.port).toBe(PLAIN); // so the 552 itself is in no log: only "nothing linked, cannot tell"
      expect(checkRefused(b, m43)).toEqual([]);
      // nothing from ok-big@ but b1-042 reached qmail-send
      expect(b.timelines.filter((t) => t.from === 'ok-big@r2.remote.test').map((t) => t.qp)).toEqual([9500]);

      const m37 = b.truth.find((m) => m.token === 'b1-037')!;
      expect(m37.port).toBe(RECORDIO);
      const [t] = timelinesOf(b, m37);
      expect(t?.session).toMatchObject({ link: 'exact', client: { ip: '127.0.0.1', port: m37.client_port }, verdict: 'queued' });
      const refused = m37.recipients.find((r) => r.rcpt_reply?.startsWith('553'))!;
      expect(t!.session!.rcpts).toEqual([
        { to: 'tammy@mx.example.test', accepted: true, code: 250, reason: null },
        { to: refused.rcpt, accepted: false, code: 553, reason: 'rcpthosts' },
        { to: 'sam@mx.example.test', accepted: true, code: 250, reason: null },
      ]);
      // …and in the store's session_rcpts
      const rows = b.db.prepare(`SELECT r.recipient, r.accepted, r.code, r.reason FROM session_rcpts r
        JOIN sessions s ON s.id = r.session_id WHERE s.client_port = ? ORDER BY r.seq`).all(m37.client_port);
      expect(rows).toContainEqual({ recipient: refused.rcpt, accepted: 0, code: 553, reason: 'rcpthosts' });
      // the refused recipient never reached qmail-send
      expect(t!.recipients.map((r) => r.to).sort()).toEqual(['sam@mx.example.test', 'tammy@mx.example.test']);
    });

    it('the checks can fail: a wrong link, a lost exact link, a wrong verdict are reported', () => {
      const wrong = (token: string): TimelineView => timelinesOf(b, b.truth.find((m) => m.token === token)!)[0]!;
      const [t2, t4, t1] = [wrong('b1-002'), wrong('b1-004'), wrong('b1-001')];
      const swapped: Batch = { ...b, timelines: b.timelines.map((t) =>
        t === t2 ? { ...t, session: t4.session } : t === t1 ? { ...t, session: null } : t) };
      const bad = checkLinks(swapped).bad.join('\n');
      expect(bad).toMatch(/^b1-002: linked \(inferred\) to 127\.0\.0\.1:54113/m);
      expect(bad).toMatch(/^b1-001: port 2526 .* but no session/m);
      const e = noMailSessions().find((x) => x.session === 'client-drops-in-DATA-2526')!;
      const v = sessionsAt(b, e.client_ip, e.client_port)[0]!;
      const altered: Batch = { ...b, sessions: b.sessions.map((x) => x === v ? { ...x, session: { ...x.session, verdict: 'quit before DATA' } } : x) };
      expect(checkNoMail(altered, [e]).join()).toMatch(/verdict quit before DATA, want dropped during DATA/);
    });

    it('one session per connection: 39 SMTP connections of the truth (b1-038/039, b1-040/041 share one) + 12 no-mail sessions', () => {
      const conns = new Set(b.truth.filter((m) => m.method === 'smtp').map((m) => `${m.client_ip}:${m.client_port}`));
      for (const e of noMailSessions()) conns.add(`${e.client_ip}:${e.client_port}`);
      const got = b.sessions.map((v) => `${v.session.client.ip}:${v.session.client.port}`);
      expect(new Set(got).size).toBe(got.length);
      expect(new Set(got)).toEqual(conns);
      expect(got.length).toBe(51);
      expect(b.sessions.filter((v) => v.session.open)).toEqual([]);
    });
  });

  describe('d1-syslog-restart (one syslog file: qmail, smtpd and smtpdr through splogger)', () => {
    for (const file of ['maillog.gz', 'maillog.rfc3339.gz', 'maillog.rfc5424.gz']) {
      it(`${file}: exact on 2526, inferred precision 1 on 2525, d1-007 (555 at MAIL) queued nothing`, async () => {
        const b = await ingest('d1-syslog-restart', [file]);
        try {
          expect(b.result.unknown).toBe(0);
          const c = checkLinks(b);
          expect(c.bad).toEqual([]);
          const { precision, recall } = report(`d1-syslog-restart ${file}`, c);
          expect(c.byPort.get(RECORDIO)).toMatchObject({ n: 51, exact: 51, correct: 51 });
          expect(c.byPort.get(PLAIN)!.n).toBe(42);
          expect(precision).toBe(1);
          expect(c.byPort.get(PLAIN)!.correct).toBeGreaterThanOrEqual(37); // measured 37 of 42
          expect(recall).toBeGreaterThanOrEqual(37 / 42);
          // streams are the splogger tags
          expect(new Set(b.sessions.map((v) => `${v.session.stream}:${v.session.local.port}`)))
            .toEqual(new Set([`smtpd:${PLAIN}`, `smtpdr:${RECORDIO}`]));
          // d1-007: the 900-character sender got 555, its RCPT 503. It went to the plain port, so only
          // its tcpserver lines exist: a session with no link, and nothing to say about its replies.
          const m7 = b.truth.find((m) => m.token === 'd1-007')!;
          expect(code(m7.mail_reply)).toBe(555);
          expect(checkRefused(b, m7)).toEqual([]);
          // one session per SMTP connection of the truth (94), none left open
          const conns = new Set(b.truth.filter((m) => m.method === 'smtp').map((m) => `${m.client_ip}:${m.client_port}`));
          expect(new Set(b.sessions.map((v) => `${v.session.client.ip}:${v.session.client.port}`))).toEqual(conns);
          expect(b.sessions.length).toBe(conns.size);
          expect(b.sessions.filter((v) => v.session.open)).toEqual([]);
        } finally {
          b.db.close();
        }
      });
    }
  });

  describe('d2-local-time (tai64nlocal copies, --tz Europe/Berlin)', () => {
    const LOCAL = ['send', 'smtpd', 'smtpdr'].map((d) => `${d}.tai64nlocal-Europe-Berlin/current`);

    /** What a batch says of each connection, keyed by client ip:port; stream names differ by design
     *  (the directory names), so the local port stands for the stream. */
    function byConnection(b: Batch): Map<string, unknown> {
      const out = new Map<string, unknown>();
      for (const v of b.sessions) {
        const s = v.session;
        out.set(`${s.client.ip}:${s.client.port}`, {
          local: s.local.port, pid: s.pid, start: s.start, end: s.end, verdict: s.verdict, queued: s.queued,
          links: v.messages.map((l) => `${l.link} ${l.qp} ${l.id}`),
        });
      }
      return out;
    }

    it('exact on 2526, inferred precision 1 on 2525; the same sessions and links as the TAI64N originals', async () => {
      const a = await ingest('d2-local-time', LOCAL, { tz: 'Europe/Berlin' });
      const o = await ingest('d2-local-time', ['send', 'smtpd', 'smtpdr']);
      try {
        for (const [label, b] of [['d2-local-time tai64nlocal', a], ['d2-local-time TAI64N', o]] as const) {
          expect(b.result.unknown, label).toBe(0);
          const c = checkLinks(b);
          expect(c.bad, label).toEqual([]);
          const { precision, recall } = report(label, c);
          expect(c.byPort.get(RECORDIO), label).toMatchObject({ n: 25, exact: 25, correct: 25 });
          expect(c.byPort.get(PLAIN)!.n, label).toBe(26);
          expect(precision, label).toBe(1);
          expect(c.byPort.get(PLAIN)!.correct, label).toBeGreaterThanOrEqual(26); // measured 26 of 26
          expect(recall, label).toBeGreaterThanOrEqual(1);
        }
        expect(a.sessions.length).toBe(51);
        expect(byConnection(a)).toEqual(byConnection(o));
        expect(a.result.links).toEqual(o.result.links);
      } finally {
        a.db.close();
        o.db.close();
      }
    });
  });

  describe('CLI on b1 (built dist/: run `npx tsc -p .` first)', () => {
    const L = join(LAB, 'b1-scenarios', 'logs');
    let db: string;
    let b: Batch;
    beforeAll(async () => {
      db = join(mkdtempSync(join(tmpdir(), 'qtrace-sessions-')), 'q.db');
      const r = qtrace(['ingest', '--db', db, '--host', 'vm', join(L, 'send'), join(L, 'smtpd'), join(L, 'smtpdr')]);
      expect(r.status, r.stderr).toBe(0);
      b = await ingest('b1-scenarios', ['send', 'smtpd', 'smtpdr']);
    });
    afterAll(() => b?.db.close());

    it('sessions --rejected --json lists exactly the sessions the logs show were refused: rblsmtpd and tcprules deny', () => {
      const r = qtrace(['sessions', '--db', db, '--rejected', '--json']);
      expect(r.status, r.stderr).toBe(0);
      const listed = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as SessionView);
      // sessions.json: 4 rblsmtpd (553 and 451, both ports) and 2 tcprules deny. The other no-mail
      // sessions quit, sent odd commands or dropped in DATA: nobody refused them. On the plain port
      // qmail-smtpd logs no dialogue, so b1-043's 552 and the unlinked sessions that did queue mail
      // cannot be told apart: they are "unknown", never listed as refused.
      const refused = noMailSessions().filter((e) => /^(rblsmtpd|tcprules-deny)-/.test(e.session));
      expect(refused.length).toBe(6);
      expect(new Set(listed.map((v) => v.session.client.port))).toEqual(new Set(refused.map((e) => e.client_port)));
      expect(listed.length).toBe(6);
      for (const v of listed) {
        expect(v.messages).toEqual([]);
        expect(v.session.refused).toBe(true);
        expect(v.session.verdict).toMatch(/^(rblsmtpd (553|451)|tcprules deny)$/);
      }
      const all = qtrace(['sessions', '--db', db, '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l) as SessionView);
      const plainUnknown = all.filter((v) => v.session.local.port === PLAIN && !v.session.dialogue && v.session.rbl === null && v.session.tcp !== 'deny');
      expect(plainUnknown.length).toBeGreaterThan(0);
      for (const v of plainUnknown) expect(v.session, String(v.session.client.port)).toMatchObject({ refused: false, queued: null });
      for (const v of plainUnknown.filter((x) => x.session.exit?.code === 0)) expect(v.session.verdict).toBe('unknown (no dialogue logged)');
    });

    it('show --session PID of the rblsmtpd 553 sessions prints the rblsmtpd text', () => {
      const rbl = noMailSessions().filter((e) => e.session.startsWith('rblsmtpd-') &&
        e.dialog.some((d) => d.startsWith('S: 553 ')));
      expect(rbl.map((e) => e.port).sort()).toEqual([PLAIN, RECORDIO]);
      for (const e of rbl) {
        const [v] = sessionsAt(b, e.client_ip, e.client_port);
        expect(v, e.session).toBeDefined();
        const text = e.dialog.find((d) => d.startsWith('S: 553 '))!.slice(7);
        const r = qtrace(['show', '--db', db, '--session', String(v!.session.pid)]);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain(`rblsmtpd 553 ${text}`);
        expect(r.stdout).toContain(`client   ${e.client_ip}:${e.client_port}`);
        expect(r.stdout).toMatch(/verdict {2}rblsmtpd 553/);
        expect(r.stdout).not.toMatch(/queued {3}vm:/);
      }
    });

    it('show --qp: the session line with the client port and the kind of link', () => {
      // 2526 (every one is checked in-process above; here the printing): localhost, the relay client,
      // the refused RCPT of b1-037, the 8-bit sender of b1-044
      for (const token of ['b1-001', 'b1-019', 'b1-037', 'b1-044']) {
        const m = b.truth.find((x) => x.token === token)!;
        expect(m.port).toBe(RECORDIO);
        const r = qtrace(['show', '--db', db, '--qp', String(m.qp)]);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout, token).toMatch(new RegExp(`^ {2}smtp {5}from ${m.client_ip!.replaceAll('.', '\\.')}:${m.client_port} .*\\[exact link\\]$`, 'm'));
        if (token === 'b1-037') expect(r.stdout).toContain('RCPT outside@elsewhere.example.net → refused 553 (rcpthosts)');
      }
      const b002 = b.truth.find((m) => m.token === 'b1-002')!; // 2525, inferred
      const out = qtrace(['show', '--db', db, '--qp', String(b002.qp)]).stdout;
      expect(out).toContain(`smtp     from ${b002.client_ip}:${b002.client_port} `);
      expect(out).toContain('[inferred link]');
      const b040 = b.truth.find((m) => m.token === 'b1-040')!; // 2525, two messages in the session: no link
      expect(qtrace(['show', '--db', db, '--qp', String(b040.qp)]).stdout).not.toMatch(/^ {2}smtp /m);
    });
  });
});
