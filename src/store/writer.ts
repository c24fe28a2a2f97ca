// The SQLite sink: writes what the correlator drained. Statements are prepared once; the caller
// wraps each batch (data + state) in one transaction, so a kill loses nothing and duplicates nothing.

import type { Output } from '../correlate/correlator.js';
import type { Session } from '../correlate/sessions.js';
import type { SessionLink } from '../correlate/link-sessions.js';
import type { Timeline } from '../correlate/timeline.js';
import type { FilePosition, UnknownLine } from '../ingest/pipeline.js';
import type { Db } from './db.js';
import { idToSql } from './ids.js';

const b = (v: boolean): number => (v ? 1 : 0);

export class StoreWriter {
  readonly #db: Db;
  readonly #insMsg;
  readonly #updMsg;
  readonly #delDeliveries;
  readonly #insDelivery;
  // rowids of timelines already stored (written in this run, or read back open): updated in place
  readonly #rowids = new WeakMap<Timeline, number>();
  readonly #segment: number;
  readonly #insLink;
  readonly #insOrphan;
  readonly #insNotice;
  readonly #insStatus;
  readonly #insUnknown;
  readonly #putState;
  readonly #getState;
  readonly #putPos;
  readonly #getPos;
  readonly #upsertSession;
  readonly #delSessionRcpts;
  readonly #insSessionRcpt;
  readonly #delSessionLinks;
  readonly #insSessionLink;

  constructor(db: Db, segment = 0) {
    this.#db = db;
    this.#segment = segment;
    this.#insMsg = db.prepare(`INSERT INTO messages
      (key, host, msg, first_us, queued_us, ended_us, partial, lost, bytes, sender, qp, uid, bounce_qp, triple_bounce, segment, info_us)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`);
    this.#updMsg = db.prepare(`UPDATE messages SET queued_us = ?, ended_us = ?, partial = ?, lost = ?, bytes = ?,
      sender = ?, qp = ?, uid = ?, bounce_qp = ?, triple_bounce = ?, segment = ?, info_us = ? WHERE id = ?`);
    this.#delDeliveries = db.prepare('DELETE FROM deliveries WHERE message_id = ?');
    this.#insDelivery = db.prepare(`INSERT INTO deliveries
      (message_id, seq, run, did, channel, recipient, started_us, finished_us, result, reason, smtp_code, dsn, remote_ip,
       too_long, forward_qp, rcpt, last, outcome, attempts)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#insLink = db.prepare('INSERT OR IGNORE INTO links (kind, from_key, to_key, qp) VALUES (?, ?, ?, ?)');
    this.#insOrphan = db.prepare(`INSERT OR IGNORE INTO orphan_results (host, run, did, at_us, result, reason,
      smtp_code, dsn, remote_ip, too_long, forward_qp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#insNotice = db.prepare('INSERT OR IGNORE INTO notices (host, at_us, level, text) VALUES (?, ?, ?, ?)');
    // a second cut by a run boundary is written twice: its peak is the larger of the two
    this.#insStatus = db.prepare(`INSERT INTO send_status
      (host, at_us, local, local_max, remote, remote_max, exitasap) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (host, at_us) DO UPDATE SET local = max(local, excluded.local), remote = max(remote, excluded.remote),
        local_max = excluded.local_max, remote_max = excluded.remote_max, exitasap = max(exitasap, excluded.exitasap)`);
    this.#insUnknown = db.prepare('INSERT OR IGNORE INTO unknown_lines (source, line_no, at_us, raw, length) VALUES (?, ?, ?, ?, ?)');
    this.#putState = db.prepare('INSERT INTO state (name, json) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET json = excluded.json');
    this.#getState = db.prepare('SELECT json FROM state WHERE name = ?').pluck();
    this.#putPos = db.prepare(`INSERT INTO positions (fingerprint, path, stream, dev, ino, offset, lines, last_us, size, complete,
      segment, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET path = excluded.path,
      stream = excluded.stream, dev = excluded.dev, ino = excluded.ino, offset = excluded.offset, lines = excluded.lines,
      last_us = excluded.last_us, size = excluded.size, complete = excluded.complete, segment = excluded.segment,
      updated_at = excluded.updated_at`);
    this.#getPos = db.prepare('SELECT * FROM positions WHERE fingerprint = ?');
    this.#upsertSession = db.prepare(`INSERT INTO sessions (key, host, stream, pid, start_us, end_us, open, client_ip,
      client_port, client_host, local_ip, local_port, tcp, exit_code, rbl_code, rbl_text, helo, auth_user, tls, dialogue,
      queued, verdict, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET end_us = excluded.end_us, open = excluded.open, client_ip = excluded.client_ip,
        client_port = excluded.client_port, client_host = excluded.client_host, local_ip = excluded.local_ip,
        local_port = excluded.local_port, tcp = excluded.tcp, exit_code = excluded.exit_code, rbl_code = excluded.rbl_code,
        rbl_text = excluded.rbl_text, helo = excluded.helo, auth_user = excluded.auth_user, tls = excluded.tls,
        dialogue = excluded.dialogue, queued = excluded.queued, verdict = excluded.verdict, detail = excluded.detail
      RETURNING id`).pluck();
    this.#delSessionRcpts = db.prepare('DELETE FROM session_rcpts WHERE session_id = ?');
    this.#insSessionRcpt = db.prepare(`INSERT INTO session_rcpts (session_id, seq, at_us, sender, recipient, accepted, code, reason)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#delSessionLinks = db.prepare('DELETE FROM session_links WHERE session_key = ?');
    this.#insSessionLink = db.prepare(`INSERT OR REPLACE INTO session_links (session_key, message_key, data_index, qp, link)
      VALUES (?, ?, ?, ?, ?)`);
  }

  /** Runs fn in one transaction (BEGIN IMMEDIATE: a second writer waits instead of failing late). */
  transaction(fn: () => void): void {
    this.#db.transaction(fn).immediate();
  }

  /** Timelines read back from the store (open ones), with their row ids: they are continued. */
  adopt(rows: Iterable<readonly [Timeline, number]>): void {
    for (const [t, id] of rows) this.#rowids.set(t, id);
  }

  /**
   * Writes a timeline. A new one whose key is taken (two messages with one id in one stamp, as
   * second-resolution syslog allows) gets the next free `#n` suffix: returns the old key then.
   */
  timeline(t: Timeline): string | undefined {
    let id = this.#rowids.get(t);
    if (id === undefined) {
      const base = t.key;
      for (let n = 1; ; n++) {
        if (n > 1) t.key = `${base}#${n}`;
        const r = this.#insMsg.run(t.key, t.host, idToSql(t.msg), t.firstSeen, t.queued, t.ended, b(t.partial), b(t.lost),
          t.bytes, t.from, t.qp, t.uid, t.bounceQp, b(t.tripleBounce), this.#segment, t.info);
        if (r.changes === 1) {
          id = Number(r.lastInsertRowid);
          break;
        }
      }
      this.#rowids.set(t, id);
      this.#deliveries(id, t);
      return t.key === base ? undefined : base;
    }
    this.#updMsg.run(t.queued, t.ended, b(t.partial), b(t.lost), t.bytes, t.from, t.qp, t.uid, t.bounceQp,
      b(t.tripleBounce), this.#segment, t.info, id);
    this.#delDeliveries.run(id);
    this.#deliveries(id, t);
    return undefined;
  }

  #deliveries(id: number, t: Timeline): void {
    const ds = t.deliveries;
    const rs = t.recipients;
    for (let i = 0; i < ds.length; i++) {
      const d = ds[i]!;
      const r = rs[d.rcpt];
      const last = r !== undefined && r.last === i;
      this.#insDelivery.run(id, i, d.run, d.did, d.channel, d.to, d.started, d.finished, d.result, d.reason,
        d.smtpCode, d.dsn, d.remoteIp, b(d.tooLong), d.forwardQp, d.rcpt, b(last), last ? r.outcome : null, last ? r.attempts : null);
    }
  }

  output(o: Output): void {
    let renamed: Map<string, string> | undefined;
    for (const t of o.timelines) {
      const old = this.timeline(t);
      if (old !== undefined) (renamed ??= new Map()).set(old, t.key);
    }
    const k = (key: string): string => renamed?.get(key) ?? key;
    for (const l of o.links) this.#insLink.run(l.kind, k(l.from), k(l.to), l.qp);
    for (const r of o.orphans) {
      this.#insOrphan.run(r.host, r.run, r.did, r.at, r.result, r.reason, r.smtpCode, r.dsn, r.remoteIp, b(r.tooLong), r.forwardQp);
    }
    for (const n of o.notices) this.#insNotice.run(n.host, n.at, n.level, n.text);
    for (const s of o.statuses) {
      this.#insStatus.run(s.host, s.at, s.local, s.localMax, s.remote, s.remoteMax, b(s.exitasap));
    }
  }

  session(s: Session): void {
    const id = this.#upsertSession.get(sessionKey(s), s.host, s.stream, s.pid, s.start, s.end, b(s.open), s.client.ip,
      s.client.port, s.client.host, s.local.ip, s.local.port, s.tcp, s.exit?.code ?? null, s.rbl?.code ?? null,
      s.rbl?.text ?? null, s.helo?.arg ?? null, s.auth?.user ?? null, b(s.tls), b(s.dialogue),
      s.queued === null ? null : b(s.queued), s.verdict, JSON.stringify(s)) as number;
    this.#delSessionRcpts.run(id);
    let seq = 0;
    for (const t of s.transactions) {
      for (const r of t.rcpts) {
        this.#insSessionRcpt.run(id, seq++, r.time, t.mailFrom, r.addr, r.accepted === null ? null : b(r.accepted), r.code, r.reason);
      }
    }
  }

  /** Replaces the links of these sessions with the ones given. */
  sessionLinks(sessionKeys: Iterable<string>, links: readonly SessionLink[]): void {
    for (const k of sessionKeys) this.#delSessionLinks.run(k);
    for (const l of links) {
      this.#insSessionLink.run(`${l.host}:${l.stream ?? ''}:${l.pid}:${l.start}`, l.messageId, l.dataIndex, l.qp, l.link);
    }
  }

  unknown(u: UnknownLine): void {
    this.#insUnknown.run(u.source, u.lineNo, u.at, u.raw, u.length);
  }

  notice(n: { readonly host: string; readonly at: number; readonly level: string; readonly text: string }): void {
    this.#insNotice.run(n.host, n.at, n.level, n.text);
  }

  putState(name: string, value: unknown): void {
    this.#putState.run(name, JSON.stringify(value));
  }

  getState<T>(name: string): T | undefined {
    const j = this.#getState.get(name) as string | undefined;
    return j === undefined ? undefined : (JSON.parse(j) as T);
  }

  putPosition(p: FilePosition): void {
    this.#putPos.run(p.fingerprint, p.path, p.stream, p.dev, p.ino, p.offset, p.lines, p.lastUs, p.size, b(p.complete), p.segment,
      new Date().toISOString());
  }

  /** What was read of the file with this fingerprint, or undefined. */
  position(fingerprint: string): FilePosition | undefined {
    const r = this.#getPos.get(fingerprint) as { fingerprint: string; path: string; stream: string; dev: number | null; ino: number | null;
      offset: number; lines: number; last_us: number | null; size: number | null; complete: number; segment: number } | undefined;
    if (r === undefined) return undefined;
    return { fingerprint: r.fingerprint, path: r.path, stream: r.stream, dev: r.dev ?? 0, ino: r.ino ?? 0, offset: r.offset,
      lines: r.lines, lastUs: r.last_us, size: r.size, complete: r.complete === 1, segment: r.segment };
  }
}

export function sessionKey(s: { readonly host: string; readonly stream: string; readonly pid: number; readonly start: number }): string {
  return `${s.host}:${s.stream}:${s.pid}:${s.start}`;
}
