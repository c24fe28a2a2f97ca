// Store → views of the add-on records (migration 006): authentication events, Plesk handler lines
// and refusals, scan verdicts. A queue handler's message is found here, by qp: the message on that
// host with qp = the handler's pid, first seen within QP_WINDOW_US after the handler's line (the
// handler runs as qmail-queue, before qmail-send's `info msg`; pids wrap, so forward and close only).

import { isoFromMicros } from '../../parsers/timestamp.js';
import { QP_WINDOW_US } from '../correlate/windows.js';
import { prepared, type Db } from '../store/db.js';

export interface AuthFilter {
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly host?: string | undefined;
  readonly ip?: string | undefined;
  readonly user?: string | undefined;       // user, or user@domain
  readonly failed?: boolean | undefined;
  readonly limit?: number | undefined;
}

export interface AuthView {
  readonly at: string;
  readonly host: string;
  readonly service: string;
  readonly protocol: string | null;
  readonly login: string;
  readonly user: string;
  readonly domain: string;
  readonly ip: string;
  readonly mechanism: string | null;
  readonly outcome: string;
  readonly ok: boolean;
  readonly pid: number | null;
  /** The SMTP session open from `ip` then (inferred, by IP and time), by its key. */
  readonly session: string | null;
}

export interface AuthCount { readonly key: string; readonly failed: number; readonly ok: number; readonly first: string; readonly last: string }

export interface AuthSummary {
  readonly events: number;
  readonly failed: number;
  /** Most failures first: brute force shows here. */
  readonly byIp: readonly AuthCount[];
  readonly byUser: readonly AuthCount[];
}

interface AuthRow {
  host: string; at_us: number; service: string; protocol: string | null; login: string; user: string; domain: string;
  ip: string; mechanism: string | null; outcome: string; pid: number | null; session_key: string | null;
}

function authView(r: AuthRow): AuthView {
  return {
    at: isoFromMicros(r.at_us), host: r.host, service: r.service, protocol: r.protocol, login: r.login, user: r.user,
    domain: r.domain, ip: r.ip, mechanism: r.mechanism, outcome: r.outcome, ok: r.outcome === 'success', pid: r.pid,
    session: r.session_key,
  };
}

function authWhere(f: AuthFilter): { sql: string; args: unknown[] } {
  const c: string[] = [];
  const args: unknown[] = [];
  if (f.since !== undefined) { c.push('at_us >= ?'); args.push(f.since); }
  if (f.until !== undefined) { c.push('at_us < ?'); args.push(f.until); }
  if (f.host !== undefined) { c.push('host = ?'); args.push(f.host); }
  if (f.ip !== undefined) { c.push('ip = ?'); args.push(f.ip); }
  if (f.user !== undefined) {
    const at = f.user.indexOf('@');
    if (at < 0) { c.push('user = ? COLLATE NOCASE'); args.push(f.user); }
    else { c.push('user = ? COLLATE NOCASE AND domain = ? COLLATE NOCASE'); args.push(f.user.slice(0, at), f.user.slice(at + 1)); }
  }
  if (f.failed === true) c.push("outcome <> 'success'");
  return { sql: c.length === 0 ? '' : 'WHERE ' + c.join(' AND '), args };
}

/** Authentication events in time order. */
export function* findAuth(db: Db, f: AuthFilter): Generator<AuthView> {
  const w = authWhere(f);
  const limit = f.limit === undefined || f.limit === 0 ? '' : ` LIMIT ${Math.floor(f.limit)}`;
  const st = db.prepare(`SELECT host, at_us, service, protocol, login, user, domain, ip, mechanism, outcome, pid, session_key
    FROM auth_events ${w.sql} ORDER BY at_us, id${limit}`);
  for (const r of st.iterate(...w.args) as IterableIterator<AuthRow>) yield authView(r);
}

/** Counts per IP and per user (user@domain) of the events the filter takes; `top` of each, most failures first. */
export function authSummary(db: Db, f: AuthFilter, top = 10): AuthSummary {
  const w = authWhere(f);
  const tot = db.prepare(`SELECT count(*) AS n, coalesce(sum(outcome <> 'success'), 0) AS failed FROM auth_events ${w.sql}`)
    .get(...w.args) as { n: number; failed: number };
  const by = (expr: string): AuthCount[] => (db.prepare(`SELECT ${expr} AS key, sum(outcome <> 'success') AS failed,
      sum(outcome = 'success') AS ok, min(at_us) AS first, max(at_us) AS last FROM auth_events ${w.sql}
      GROUP BY 1 ORDER BY 2 DESC, 3 DESC, 1 LIMIT ${Math.floor(top)}`).all(...w.args) as Array<{ key: string; failed: number; ok: number; first: number; last: number }>)
    .map((r) => ({ key: r.key, failed: r.failed, ok: r.ok, first: isoFromMicros(r.first), last: isoFromMicros(r.last) }));
  return { events: tot.n, failed: tot.failed, byIp: by('ip'), byUser: by("CASE WHEN domain = '' THEN user ELSE user || '@' || domain END") };
}

/** Auth events the correlator gave to this session. */
export function authOfSession(db: Db, sessionKey: string): AuthView[] {
  return (prepared(db, `SELECT host, at_us, service, protocol, login, user, domain, ip, mechanism, outcome, pid, session_key
    FROM auth_events WHERE session_key = ? ORDER BY at_us, id`).all(sessionKey) as AuthRow[]).map(authView);
}

// --- Plesk ------------------------------------------------------------------------------------

export interface FilterLineView { readonly at: string; readonly program: string; readonly pid: number | null; readonly text: string }

export interface HandlerView {
  readonly at: string;
  readonly host: string;
  readonly stage: string | null;
  readonly program: string;
  readonly pid: number | null;
  readonly kind: string;
  readonly addr: string | null;
  readonly verdict: string | null;
  readonly handler: string | null;
  readonly text: string;
  readonly filters: readonly FilterLineView[];
}

export interface RefusalView {
  readonly at: string;
  readonly host: string;
  readonly qp: number | null;
  readonly program: string;
  readonly handler: string;
  readonly verdict: string;
  readonly sender: string | null;
  readonly recipients: readonly string[];
}

interface HandlerRow {
  at_us: number; host: string; stage: string | null; program: string; pid: number | null; kind: string;
  addr: string | null; verdict: string | null; handler: string | null; text: string; filters: string | null;
}

function handlerView(r: HandlerRow): HandlerView {
  const filters = r.filters === null ? [] : (JSON.parse(r.filters) as Array<{ at: number; program: string; pid: number | null; text: string }>)
    .map((x) => ({ at: isoFromMicros(x.at), program: x.program, pid: x.pid, text: x.text }));
  return { at: isoFromMicros(r.at_us), host: r.host, stage: r.stage, program: r.program, pid: r.pid, kind: r.kind, addr: r.addr,
    verdict: r.verdict, handler: r.handler, text: r.text, filters };
}

/** The queue handler's lines of a message: qp = its pid on its host, within QP_WINDOW_US before its first line. */
export function handlersOfMessage(db: Db, host: string, qp: number | null, firstUs: number): HandlerView[] {
  if (qp === null) return [];
  return (prepared(db, `SELECT at_us, host, stage, program, pid, kind, addr, verdict, handler, text, filters FROM handler_lines
    WHERE qp = ? AND host = ? AND at_us BETWEEN ? AND ? ORDER BY at_us, id`)
    .all(qp, host, firstUs - QP_WINDOW_US, firstUs) as HandlerRow[]).map(handlerView);
}

export interface RefusalFilter { readonly since?: number | undefined; readonly until?: number | undefined; readonly host?: string | undefined; readonly limit?: number | undefined }

/** Messages Plesk's queue handlers refused, newest first. */
export function* findRefusals(db: Db, f: RefusalFilter): Generator<RefusalView> {
  const c: string[] = [];
  const args: unknown[] = [];
  if (f.since !== undefined) { c.push('at_us >= ?'); args.push(f.since); }
  if (f.until !== undefined) { c.push('at_us < ?'); args.push(f.until); }
  if (f.host !== undefined) { c.push('host = ?'); args.push(f.host); }
  const limit = f.limit === undefined || f.limit === 0 ? '' : ` LIMIT ${Math.floor(f.limit)}`;
  const st = db.prepare(`SELECT at_us, host, qp, program, handler, verdict, sender, recipients FROM refusals
    ${c.length === 0 ? '' : 'WHERE ' + c.join(' AND ')} ORDER BY at_us DESC, id DESC${limit}`);
  for (const r of st.iterate(...args) as IterableIterator<{ at_us: number; host: string; qp: number | null; program: string; handler: string; verdict: string; sender: string | null; recipients: string }>) {
    yield { at: isoFromMicros(r.at_us), host: r.host, qp: r.qp, program: r.program, handler: r.handler, verdict: r.verdict,
      sender: r.sender, recipients: JSON.parse(r.recipients) as string[] };
  }
}

// --- qmail-scanner ----------------------------------------------------------------------------

export interface ScanView {
  readonly at: string;
  readonly host: string;
  readonly verdict: string;
  readonly tag: string;
  readonly reason: string | null;
  readonly ip: string | null;
  readonly score: number | null;
  readonly required: number | null;
  readonly sender: string;
  readonly recipients: readonly string[];
  readonly session: string | null;
  /** How the record was tied to what it is shown with: always inferred (by IP, or sender and time). */
  readonly link: 'inferred';
}

interface ScanRow { at_us: number; host: string; verdict: string; tag: string; reason: string | null; ip: string | null; score: number | null; required: number | null; sender: string; recipients: string; session_key: string | null }

function scanView(r: ScanRow): ScanView {
  return { at: isoFromMicros(r.at_us), host: r.host, verdict: r.verdict, tag: r.tag, reason: r.reason, ip: r.ip, score: r.score,
    required: r.required, sender: r.sender, recipients: JSON.parse(r.recipients) as string[], session: r.session_key, link: 'inferred' };
}

const SCAN_COLS = 'at_us, host, verdict, tag, reason, ip, score, required, sender, recipients, session_key';

/** Scans of a message, inferred: same host and sender, logged within QP_WINDOW_US before its first line. */
export function scansOfMessage(db: Db, host: string, sender: string | null, firstUs: number): ScanView[] {
  if (sender === null) return [];
  return (prepared(db, `SELECT ${SCAN_COLS} FROM scan_verdicts WHERE sender = ? AND host = ? AND at_us BETWEEN ? AND ? ORDER BY at_us, id`)
    .all(sender, host, firstUs - QP_WINDOW_US, firstUs) as ScanRow[]).map(scanView);
}

export function scansOfSession(db: Db, sessionKey: string): ScanView[] {
  return (prepared(db, `SELECT ${SCAN_COLS} FROM scan_verdicts WHERE session_key = ? ORDER BY at_us, id`).all(sessionKey) as ScanRow[]).map(scanView);
}

// --- the report's counts ----------------------------------------------------------------------

export interface AddonCounts {
  readonly auth: { readonly events: number; readonly failed: number; readonly topIps: readonly AuthCount[]; readonly topUsers: readonly AuthCount[] };
  readonly scans: Readonly<Record<string, number>>;
  readonly refusals: ReadonlyArray<{ readonly handler: string; readonly verdict: string; readonly count: number }>;
}

export function addonCounts(db: Db, since: number | undefined, until: number | undefined): AddonCounts {
  const s = authSummary(db, { since, until }, 5);
  const lo = since ?? Number.MIN_SAFE_INTEGER;
  const hi = until ?? Number.MAX_SAFE_INTEGER;
  const scans: Record<string, number> = {};
  for (const r of db.prepare('SELECT verdict, count(*) AS n FROM scan_verdicts WHERE at_us >= ? AND at_us < ? GROUP BY 1 ORDER BY 1')
    .all(lo, hi) as Array<{ verdict: string; n: number }>) scans[r.verdict] = r.n;
  const refusals = (db.prepare(`SELECT handler, verdict, count(*) AS count FROM refusals WHERE at_us >= ? AND at_us < ?
    GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`).all(lo, hi) as Array<{ handler: string; verdict: string; count: number }>);
  return { auth: { events: s.events, failed: s.failed, topIps: s.byIp.filter((x) => x.failed > 0), topUsers: s.byUser.filter((x) => x.failed > 0) }, scans, refusals };
}

// --- per timeline / per session, for show -------------------------------------------------------

/** '2026-11-25T17:49:46.260657Z' → unix µs (the views' ISO times always carry six digits). */
function usFromIso(iso: string): number {
  return Date.parse(iso.slice(0, 19) + 'Z') * 1000 + Number(iso.slice(20, 26));
}

export interface DeliveryHandlers { readonly delivery: number; readonly to: string; readonly lines: readonly HandlerView[] }

export interface MessageAddons {
  readonly handlers: readonly HandlerView[];
  /** qmail-local-handlers / qmail-remote-handlers runs, by delivery (inferred: their to= and time). */
  readonly deliveries: readonly DeliveryHandlers[];
  readonly scans: readonly ScanView[];
}

interface DeliveryLike { readonly delivery: number; readonly channel: string; readonly to: string; readonly started: string | null; readonly finished: string | null }

/**
 * The local/remote handler run of one delivery: the lines, between the delivery's start and its
 * end, of the wrapper (same stage) whose `to=` is that delivery's recipient. The wrapper's pid is
 * the delivery's child, which qmail-send does not log: the link is by address and time.
 */
function handlersOfDelivery(db: Db, host: string, d: DeliveryLike): HandlerView[] {
  if (d.started === null) return [];
  const from = usFromIso(d.started);
  const to = d.finished === null ? from + QP_WINDOW_US : usFromIso(d.finished);
  return (prepared(db, `SELECT at_us, host, stage, program, pid, kind, addr, verdict, handler, text, filters FROM handler_lines
    WHERE at_us BETWEEN @from AND @to AND host = @host AND stage = @stage AND pid IN (SELECT pid FROM handler_lines
      WHERE kind = 'plesk_to' AND addr = @addr COLLATE NOCASE AND host = @host AND stage = @stage AND at_us BETWEEN @from AND @to)
    ORDER BY at_us, id`).all({ from, to, host, stage: d.channel, addr: d.to }) as HandlerRow[]).map(handlerView);
}

export function addonsOfTimeline(db: Db, t: { readonly host: string; readonly qp: number | null; readonly from: string | null;
  readonly first_seen: string; readonly deliveries: readonly DeliveryLike[] }): MessageAddons {
  const first = usFromIso(t.first_seen);
  const deliveries: DeliveryHandlers[] = [];
  for (const d of t.deliveries) {
    const lines = handlersOfDelivery(db, t.host, d);
    if (lines.length > 0) deliveries.push({ delivery: d.delivery, to: d.to, lines });
  }
  return { handlers: handlersOfMessage(db, t.host, t.qp, first), deliveries, scans: scansOfMessage(db, t.host, t.from, first) };
}

export interface SessionAddons { readonly auth: readonly AuthView[]; readonly scans: readonly ScanView[] }

export function addonsOfSession(db: Db, key: string): SessionAddons {
  return { auth: authOfSession(db, key), scans: scansOfSession(db, key) };
}
