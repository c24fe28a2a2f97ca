// The store → the report view. Messages are selected by their time (first_us, indexed) and read
// once with their attempts (the deliveries primary key); everything else is one index range each.

import { isoFromMicros } from '../../parsers/timestamp.js';
import { addonsOf } from './addons.js';
import type { Db } from '../store/db.js';
import { channelSql, keySql, outcomeSql, RESULT, resultSql } from '../store/rows.js';
import { newestLine } from './newest.js';
import { reasonTemplate } from './template.js';
import type { Counted, DelayDist, HourRow, ReasonGroup, ReportView, StuckMessage } from './view.js';

export interface ReportOptions {
  readonly since?: number | undefined;        // µs
  readonly until?: number | undefined;        // µs
  readonly host?: string | undefined;
  readonly top?: number | undefined;          // rows per top list (default 10)
  readonly stuckUs?: number | undefined;      // default 1 h
  readonly queueLifetimeUs?: number | undefined; // default 7 days (qmail's own)
  readonly examples?: number | undefined;     // reason groups per list (default 20)
  readonly now?: number | undefined;          // µs: stuck is judged against this (default: the clock)
}

const HOUR = 3_600_000_000;
const MIN_US = -(2 ** 62);
const MAX_US = 2 ** 62;

type Row = [
  id: number, host: string, key: string, first: number, queued: number | null, ended: number | null, partial: number,
  bytes: number | null, sender: string | null, uid: number | null, triple: number, bounceQp: number | null,
  seq: number | null, run: number | null, channel: 'local' | 'remote' | null, recipient: string | null,
  started: number | null, finished: number | null, result: string | null, reason: string | null,
  smtp: number | null, dsn: string | null, ip: string | null, last: number | null, outcome: string | null,
];

class Tally {
  readonly #m = new Map<string, { count: number; bytes: number }>();
  add(key: string, bytes: number | null): void {
    const e = this.#m.get(key);
    if (e === undefined) this.#m.set(key, { count: 1, bytes: bytes ?? 0 });
    else { e.count++; e.bytes += bytes ?? 0; }
  }
  top(n: number, by: 'count' | 'bytes' = 'count'): Counted[] {
    const first = by === 'count' ? (a: Counted, b: Counted) => b.count - a.count || b.bytes - a.bytes
      : (a: Counted, b: Counted) => b.bytes - a.bytes || b.count - a.count;
    return [...this.#m].map(([key, v]) => ({ key, count: v.count, bytes: v.bytes }))
      .sort((a, b) => first(a, b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).slice(0, n);
  }
}

class Reasons {
  readonly #m = new Map<string, { count: number; example: string; smtp: number | null; dsn: string | null }>();
  add(reason: string | null, smtp: number | null, dsn: string | null): void {
    const r = reason ?? '(no reason logged)';
    const t = reasonTemplate(r);
    const e = this.#m.get(t);
    if (e === undefined) this.#m.set(t, { count: 1, example: r, smtp, dsn });
    else e.count++;
  }
  list(n: number): ReasonGroup[] {
    return [...this.#m].map(([template, v]) => ({ template, count: v.count, example: v.example, smtp_code: v.smtp, dsn: v.dsn }))
      .sort((a, b) => b.count - a.count || (a.template < b.template ? -1 : 1)).slice(0, n);
  }
}

function dist(delays: number[]): DelayDist {
  if (delays.length === 0) return { count: 0, average: null, percentiles: [] };
  delays.sort((a, b) => a - b);
  const sum = delays.reduce((a, b) => a + b, 0);
  const percentiles = [10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 100].map((pct) => ({
    pct, within: delays[Math.max(0, Math.ceil((delays.length * pct) / 100) - 1)]! / 1e6,
  }));
  return { count: delays.length, average: sum / delays.length / 1e6, percentiles };
}

const domainOf = (addr: string): string => {
  const at = addr.lastIndexOf('@');
  return at < 0 ? '(no domain)' : addr.slice(at + 1).toLowerCase();
};
const iso = (us: number | null): string | null => (us === null ? null : isoFromMicros(us));

export function buildReport(db: Db, o: ReportOptions = {}): ReportView {
  const since = o.since ?? MIN_US;
  const until = o.until ?? MAX_US;
  const top = o.top ?? 10;
  const stuckUs = o.stuckUs ?? HOUR;
  const lifeUs = o.queueLifetimeUs ?? 7 * 24 * HOUR;
  const hostSql = o.host === undefined ? '' : ' AND m.host = @host';
  const args = { since, until, host: o.host };

  // reasons are long and only failures and deferrals are grouped: the others are not read
  const rows = db.prepare(`SELECT m.id, m.host, ${keySql('m')}, m.first_us, m.first_us + m.queued_d, m.first_us + m.ended_d,
      m.partial, m.bytes, ms.address, m.uid, m.triple_bounce, m.bounce_qp, d.seq, d.run, ${channelSql('d')}, da.address,
      m.first_us + d.started_d, m.first_us + d.finished_d, ${resultSql('d')}, dt.text,
      d.smtp_code, d.dsn, d.remote_ip, d.last, ${outcomeSql('d')}
    FROM messages m LEFT JOIN deliveries d ON d.message_id = m.id LEFT JOIN addresses ms ON ms.id = m.sender_id
      LEFT JOIN addresses da ON da.id = d.recipient_id
      LEFT JOIN texts dt ON dt.id = d.reason_id AND d.result IN (${RESULT.failure}, ${RESULT.deferral})
    WHERE m.first_us >= @since AND m.first_us < @until${hostSql}
    ORDER BY m.first_us, m.id, d.seq`).raw().iterate(o.host === undefined ? { since, until } : args) as IterableIterator<Row>;

  let messages = 0, partial = 0, recipients = 0, delivered = 0, failed = 0, deferred = 0, pending = 0, stillQueued = 0;
  let attempts = 0, deferralAttempts = 0, bounces = 0, doubles = 0, triples = 0, bytes = 0;
  let queueSum = 0, queueN = 0;
  const attemptSum = { local: 0, remote: 0 }, attemptN = { local: 0, remote: 0 };
  const hours = new Map<number, { queued: number; delivered: number; failed: number; deferred: number }>();
  const hour = (us: number) => {
    const h = Math.floor(us / HOUR) * HOUR;
    let e = hours.get(h);
    if (e === undefined) hours.set(h, (e = { queued: 0, delivered: 0, failed: 0, deferred: 0 }));
    return e;
  };
  const delays = { local: [] as number[], remote: [] as number[] };
  const senders = new Tally(), rcpts = new Tally(), domains = new Tally(), rhosts = new Tally(), uids = new Tally();
  const fails = new Reasons(), defers = new Reasons();
  const runs = new Map<string, { min: number; max: number }>();
  let bsRemote = 0, bsFailed = 0, bsDeferred = 0;
  const bsDomains = new Tally();

  const doubleKeys: number[] = [];
  let cur = -1;
  let curSender: string | null = null, curBytes: number | null = null, curQueued: number | null = null;
  for (const r of rows) {
    const [id, , , first, queued, ended, part, nbytes, sender, uid, triple, bounceQp] = r;
    if (id !== cur) {
      cur = id; curSender = sender; curBytes = nbytes; curQueued = queued;
      messages++;
      if (part) partial++;
      if (ended === null) stillQueued++;
      else if (queued !== null) { queueSum += ended - queued; queueN++; }
      if (bounceQp !== null) bounces++;
      if (sender === '#@[]') doubleKeys.push(id); // a double bounce only if a bounce link leads to it
      if (triple) triples++;
      bytes += nbytes ?? 0;
      hour(queued ?? first).queued++;
      senders.add(sender === null ? '?' : `<${sender}>`, nbytes);
      if (uid !== null) uids.add(String(uid), nbytes);
    }
    const [, , , , , , , , , , , , seq, run, channel, recipient, started, finished, result, reason, smtp, dsn, ip, last, outcome] = r;
    if (seq === null || channel === null || recipient === null) continue;
    const runKey = r[1];
    if (run !== null) {
      const e = runs.get(runKey);
      if (e === undefined) runs.set(runKey, { min: run, max: run });
      else { e.min = Math.min(e.min, run); e.max = Math.max(e.max, run); }
    }
    if (result === 'success' || result === 'failure' || result === 'deferral') {
      attempts++;
      if (started !== null && finished !== null) { attemptSum[channel] += finished - started; attemptN[channel]++; }
      if (finished !== null) {
        const h = hour(finished);
        if (result === 'success') h.delivered++;
        else if (result === 'failure') h.failed++;
        else h.deferred++;
      }
      if (result === 'success' && finished !== null && curQueued !== null) delays[channel].push(finished - curQueued);
      if (result === 'failure') fails.add(reason, smtp, dsn);
      if (result === 'deferral') { deferralAttempts++; defers.add(reason, smtp, dsn); }
      if (ip !== null && channel === 'remote') rhosts.add(ip, result === 'success' ? curBytes : 0);
    }
    if (last === 1) {
      recipients++;
      if (outcome === 'delivered') delivered++;
      else if (outcome === 'failed') failed++;
      else if (outcome === 'deferred') deferred++;
      else pending++;
      rcpts.add(recipient, curBytes);
      domains.add(domainOf(recipient), curBytes);
      if (curSender === '' && channel === 'remote') {
        bsRemote++;
        bsDomains.add(domainOf(recipient), curBytes);
        if (outcome === 'failed') bsFailed++;
        else if (outcome === 'deferred') bsDeferred++;
      }
    }
  }

  const isBounce = db.prepare("SELECT 1 FROM links WHERE to_id = ? AND kind = 'bounce' LIMIT 1").pluck();
  doubles = doubleKeys.filter((k) => isBounce.get(k) !== undefined).length;
  const sessions = sessionTotals(db, since, until, o.host, top);
  const restarts = [...runs.values()].reduce((a, e) => a + e.max - e.min, 0);
  const unknown = db.prepare('SELECT count(*) FROM unknown_lines WHERE at_us >= ? AND at_us < ?').pluck().get(since, until) as number;
  const newest = newestLine(db, o.host);
  const asOf = o.now ?? Date.now() * 1000;
  const cut = since === MIN_US ? 0 : db.prepare(`SELECT count(*) FROM messages m
      WHERE m.first_us >= @from AND m.first_us < @since AND (m.ended_d IS NULL OR m.first_us + m.ended_d >= @since)${hostSql}`)
    .pluck().get({ from: since - lifeUs, since, ...(o.host === undefined ? {} : { host: o.host }) }) as number;

  const hourRows: HourRow[] = [...hours].sort((a, b) => a[0] - b[0]).map(([h, v]) => ({ hour: isoFromMicros(h), ...v }));
  return {
    report: 'qtrace', version: 1,
    window: {
      since: o.since === undefined ? null : iso(o.since), until: o.until === undefined ? null : iso(o.until),
      host: o.host ?? null, as_of: isoFromMicros(asOf), newest_line: iso(newest),
      counting: o.since === undefined && o.until === undefined ? 'every message in the store, with all its deliveries'
        : 'messages first seen in the window, with all their deliveries (also those after its end); '
        + 'messages queued before it are left out',
      queued_before_still_open: cut,
    },
    totals: {
      messages, partial, recipients, delivered, failed, deferred, pending, still_queued: stillQueued, attempts,
      deferral_attempts: deferralAttempts, bounces, double_bounces: doubles, triple_bounces: triples, bytes, restarts,
      unknown_lines: unknown,
      sessions: { total: sessions.total, accepted: sessions.accepted, rejected: sessions.rejected, unknown: sessions.unknown,
        rejected_by: sessions.rejected_by },
    },
    hours: hourRows,
    delays: {
      local: dist(delays.local), remote: dist(delays.remote),
      queue_seconds_avg: queueN === 0 ? null : queueSum / queueN / 1e6,
      attempt_seconds_avg: {
        local: attemptN.local === 0 ? null : attemptSum.local / attemptN.local / 1e6,
        remote: attemptN.remote === 0 ? null : attemptSum.remote / attemptN.remote / 1e6,
      },
    },
    top: {
      senders: senders.top(top), recipients: rcpts.top(top), recipient_domains: domains.top(top),
      remote_hosts: rhosts.top(top), smtp_clients: sessions.clients, uids: uids.top(top),
      by_bytes: { senders: senders.top(top, 'bytes'), recipients: rcpts.top(top, 'bytes'), recipient_domains: domains.top(top, 'bytes') },
    },
    failures: fails.list(o.examples ?? 20),
    deferrals: defers.list(o.examples ?? 20),
    stuck: stuckMessages(db, asOf, stuckUs, lifeUs, o.host, o.examples ?? 20),
    backscatter: { bounces_to_remote: bsRemote, failed: bsFailed, deferred: bsDeferred, domains: bsDomains.top(top) },
    addons: addonsOf(db, since, until, o.host, top),
    notices: noticesOf(db, since, until, o.host),
  };
}

function sessionTotals(db: Db, since: number, until: number, host: string | undefined, top: number) {
  const rows = db.prepare(`SELECT verdict, queued, client_ip FROM sessions
      WHERE start_us >= ? AND start_us < ?${host === undefined ? '' : ' AND host = ?'}`).raw()
    .iterate(...(host === undefined ? [since, until] : [since, until, host])) as IterableIterator<[string, number | null, string | null]>;
  let total = 0, accepted = 0, rejected = 0, unknown = 0;
  const by = new Tally(), clients = new Tally();
  for (const [verdict, queued, ip] of rows) {
    total++;
    if (queued === 1) accepted++;
    else if (queued === 0) { rejected++; by.add(verdict, 0); }
    else unknown++;
    if (ip !== null) clients.add(ip, 0);
  }
  return { total, accepted, rejected, unknown, rejected_by: by.top(50), clients: clients.top(top) };
}

function stuckMessages(db: Db, asOf: number, olderUs: number, lifeUs: number, host: string | undefined, n: number):
  ReportView['stuck'] {
  const base = { older_than_seconds: olderUs / 1e6, queuelifetime_seconds: lifeUs / 1e6 };
  // qmail bounces what is older than queuelifetime at its next attempt, so two lifetimes back is far enough
  const rows = db.prepare(`SELECT m.id, ${keySql('m')} AS key, m.msg, m.first_us + coalesce(m.queued_d, 0) AS q, ms.address AS sender
      FROM messages m LEFT JOIN addresses ms ON ms.id = m.sender_id
      WHERE m.first_us >= ? AND m.first_us < ? AND m.ended_d IS NULL AND m.lost = 0${host === undefined ? '' : ' AND m.host = ?'}
      ORDER BY m.first_us`).all(...[asOf - 2 * lifeUs - olderUs, asOf - olderUs, ...(host === undefined ? [] : [host])]) as
    Array<{ id: number; key: string; msg: number; q: number; sender: string | null }>;
  const waiting = db.prepare(`SELECT da.address AS recipient, ${outcomeSql('d')} AS outcome, dt.text AS reason FROM deliveries d
      JOIN addresses da ON da.id = d.recipient_id LEFT JOIN texts dt ON dt.id = d.reason_id
      WHERE d.message_id = ? AND d.last = 1 ORDER BY d.rcpt`);
  const out: StuckMessage[] = [];
  for (const r of rows.slice(0, n)) {
    const ws = waiting.all(r.id) as Array<{ recipient: string; outcome: string; reason: string | null }>;
    const open = ws.filter((w) => w.outcome !== 'delivered' && w.outcome !== 'failed');
    out.push({
      id: r.key, msg: r.msg, queued: isoFromMicros(r.q), age_seconds: (asOf - r.q) / 1e6, bounces_at: isoFromMicros(r.q + lifeUs),
      from: r.sender, waiting: open.map((w) => w.recipient), last_reason: open.find((w) => w.reason !== null)?.reason ?? null,
    });
  }
  return { ...base, messages: out, total: rows.length };
}

function noticesOf(db: Db, since: number, until: number, host: string | undefined): ReportView['notices'] {
  const rows = db.prepare(`SELECT level, text, count(*) AS n, min(at_us) AS a, max(at_us) AS b FROM notices
      WHERE level IN ('warning', 'alert') AND at_us >= ? AND at_us < ?${host === undefined ? '' : ' AND host = ?'}
      GROUP BY level, text ORDER BY level = 'alert' DESC, n DESC, text`)
    .all(...(host === undefined ? [since, until] : [since, until, host])) as Array<{ level: 'warning' | 'alert'; text: string; n: number; a: number; b: number }>;
  return rows.map((r) => ({ level: r.level, text: r.text, count: r.n, first: isoFromMicros(r.a), last: isoFromMicros(r.b) }));
}
