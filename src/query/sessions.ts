// Reading SMTP sessions back out of the store: lists, one session, and the session of a message.

import { isoFromMicros } from '../../parsers/timestamp.js';
import type { Session } from '../correlate/sessions.js';
import type { Db } from '../store/db.js';
import { keySql } from '../store/rows.js';

export interface SessionFilter {
  readonly ip?: string | undefined;
  readonly pid?: number | undefined;
  readonly key?: string | undefined;         // host:stream:pid:start_us, as printed
  readonly host?: string | undefined;
  readonly rejected?: boolean | undefined;   // the logs show it was refused
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly rcpt?: string | undefined;        // some RCPT TO contains this
  readonly newestFirst?: boolean | undefined;
  readonly limit?: number | undefined;
}

export interface SessionMessageLink { readonly id: string; readonly link: 'exact' | 'inferred'; readonly qp: number | null }

/** A session as printed: the stored record, its id and times in ISO, and the messages it queued. */
export interface SessionView {
  readonly id: string;
  readonly started: string;
  readonly ended: string | null;
  readonly session: Session;
  readonly messages: readonly SessionMessageLink[];
}

/** What a message's timeline says of the SMTP session that queued it. */
export interface MessageSessionView {
  readonly id: string;
  readonly link: 'exact' | 'inferred';
  readonly pid: number;
  readonly stream: string;
  readonly started: string;
  readonly client: { readonly ip: string | null; readonly port: number | null; readonly host: string | null };
  readonly helo: string | null;
  readonly auth_user: string | null;
  readonly from: string | null;
  readonly rcpts: ReadonlyArray<{ readonly to: string; readonly accepted: boolean | null; readonly code: number | null;
    readonly reason: string | null }>;
  readonly verdict: string;
}

interface Row { id: number; key: string; start_us: number; end_us: number | null; detail: string }

export function* findSessions(db: Db, f: SessionFilter): Generator<SessionView> {
  const c: string[] = [];
  const args: unknown[] = [];
  if (f.ip !== undefined) { c.push('s.client_ip = ?'); args.push(f.ip); }
  if (f.pid !== undefined) { c.push('s.pid = ?'); args.push(f.pid); }
  if (f.key !== undefined) { c.push('s.key = ?'); args.push(f.key); }
  if (f.host !== undefined) { c.push('s.host = ?'); args.push(f.host); }
  // Refused as the logs show it (Session.refused, kept in the detail JSON; a session stored before
  // it existed counts tcprules deny and rblsmtpd only); never linked to a message.
  if (f.rejected === true) {
    c.push(`COALESCE(json_extract(s.detail, '$.refused'), s.tcp = 'deny' OR s.rbl_code IS NOT NULL) = 1
      AND NOT EXISTS (SELECT 1 FROM session_links l WHERE l.session_id = s.id)`);
  }
  if (f.since !== undefined) { c.push('COALESCE(s.end_us, s.start_us) >= ?'); args.push(f.since); }
  if (f.until !== undefined) { c.push('s.start_us < ?'); args.push(f.until); }
  if (f.rcpt !== undefined) {
    c.push(`EXISTS (SELECT 1 FROM session_rcpts r WHERE r.session_id = s.id AND r.recipient LIKE '%' || ? || '%' ESCAPE '\\')`);
    args.push(f.rcpt.replace(/[\\%_]/g, (ch) => '\\' + ch));
  }
  const order = f.newestFirst === true ? 'DESC' : 'ASC';
  const limit = f.limit === undefined || f.limit === 0 ? '' : ` LIMIT ${Math.max(0, Math.floor(f.limit))}`;
  // Ties by key, not row id: a row id follows the commit that first wrote the session.
  const rows = db.prepare(`SELECT s.id, s.key, s.start_us, s.end_us, s.detail FROM sessions s
    ${c.length === 0 ? '' : 'WHERE ' + c.join(' AND ')} ORDER BY s.start_us ${order}, s.key${limit}`);
  const links = db.prepare(`SELECT ${keySql('m')} AS id, l.link, l.qp FROM session_links l JOIN messages m ON m.id = l.message_id
    WHERE l.session_id = ? ORDER BY l.data_index, id`);
  for (const r of rows.iterate(...args) as IterableIterator<Row>) {
    const { seam: _kept, ...session } = JSON.parse(r.detail) as Session; // the store's own, for seams
    yield { id: r.key, started: isoFromMicros(r.start_us), ended: r.end_us === null ? null : isoFromMicros(r.end_us),
      session, messages: links.all(r.id) as SessionMessageLink[] };
  }
}

/** The sessions that queued these messages, by message row id. */
export function sessionsOfMessages(db: Db, ids: readonly number[]): Map<number, MessageSessionView> {
  const out = new Map<number, MessageSessionView>();
  if (ids.length === 0) return out;
  const rows = db.prepare(`SELECT l.message_id, l.link, l.data_index, s.key, s.start_us, s.detail FROM session_links l
    JOIN sessions s ON s.id = l.session_id WHERE l.message_id IN (${ids.map(() => '?').join(',')})`)
    .all(...ids) as Array<{ message_id: number; link: 'exact' | 'inferred'; data_index: number | null; key: string; start_us: number; detail: string }>;
  for (const r of rows) {
    const s = JSON.parse(r.detail) as Session;
    // The transaction that queued it: the DATA the exact link names, else the first that queued.
    let tx = s.transactions.find((t) => t.data.some((d) => d.result === 'queued')) ?? s.transactions[0];
    if (r.data_index !== null) {
      let i = 0;
      for (const t of s.transactions) {
        for (let k = 0; k < t.data.length; k++, i++) if (i === r.data_index) tx = t;
      }
    }
    out.set(r.message_id, {
      id: r.key, link: r.link, pid: s.pid, stream: s.stream, started: isoFromMicros(r.start_us),
      client: { ip: s.client.ip, port: s.client.port, host: s.client.host }, helo: s.helo?.arg ?? null,
      auth_user: s.auth?.user ?? null, from: tx?.mailFrom ?? null,
      rcpts: (tx?.rcpts ?? []).map((x) => ({ to: x.addr, accepted: x.accepted, code: x.code, reason: x.reason === null ? null : String(x.reason) })),
      verdict: s.verdict,
    });
  }
  return out;
}
