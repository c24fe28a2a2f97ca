// What the live view prints, as data: one record per parsed event and one per message that ends.
// Pure: events, changed timelines and links in, plain JSON-able records out
// (schemas/live-record.schema.json). pino's field names (level, time), so pino-pretty renders them.

import { idForJson } from '../../parsers/ids.js';
import type { SendEvent } from '../../parsers/events.js';
import type { SmtpdEvent } from '../../parsers/smtpd-events.js';
import { isoFromMicros } from '../../parsers/timestamp.js';
import { RESTART_NOTICE, type Link, type Notice } from '../correlate/correlator.js';
import { keyOf, type Timeline } from '../correlate/timeline.js';

/** pino's numeric levels. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;
export type Level = (typeof LEVEL)[keyof typeof LEVEL];

export interface Client { ip: string; host?: string; port?: number }

export interface EventRecord {
  type: 'event';
  level: Level;
  time: string;                    // log time, ISO 8601 UTC with µs
  host: string;
  source: string;                 // the stage that took the line: 'send', 'smtpd', …
  kind: string;                   // the event's kind (SendEvent['kind'], SmtpdEvent['kind'], …)
  id?: number | string;                    // qmail message id (the inode)
  key?: string;                    // the timeline's key (as `qtrace show` lists it), when known
  did?: number;
  channel?: 'local' | 'remote';
  from?: string;
  to?: string;
  bytes?: number;
  qp?: number;
  uid?: number;
  result?: 'success' | 'failure' | 'deferral';
  reason?: string;                 // decoded report
  smtp_code?: number;
  dsn?: string;
  remote_ip?: string;
  attempt_seconds?: number;        // a delivery result: since its `starting delivery`
  pid?: number;                    // smtpd side: tcpserver's child
  client?: Client;
  accepted?: boolean;              // add-ons that accept or refuse (chkuser, spamdyke, s/qmail…)
  text?: string;
  line: string;                    // the raw log line
}

export interface RecipientRecord {
  to: string;
  channel: 'local' | 'remote';
  outcome: 'delivered' | 'failed' | 'deferred' | 'pending';
  attempts: number;
  reason?: string;
  smtp_code?: number;
  dsn?: string;
}

export interface LinkRecord { qp: number; key: string | null }

export interface SessionRecord {
  key: string;
  link: 'exact' | 'inferred';
  pid: number;
  client_ip: string | null;
  client_host: string | null;
  helo: string | null;
  verdict: string;
}

export interface MessageRecord {
  type: 'message';
  level: Level;
  time: string;                    // the end (or the loss) of the message
  host: string;
  id: number | string;
  key: string;
  from: string | null;
  bytes: number | null;
  qp: number | null;
  queued: string | null;
  queue_seconds: number | null;
  partial: boolean;
  lost: boolean;
  triple_bounce: boolean;
  recipients: RecipientRecord[];
  bounce: LinkRecord | null;       // the bounce this message caused
  bounce_of: string | null;        // this message is the bounce of that one
  forwards: LinkRecord[];          // copies a .qmail forward made
  forward_of: string | null;
  session: SessionRecord | null;   // the SMTP session that queued it, when linked
}

/** What qtrace itself noticed: a new qmail-send run, a reused id. */
export interface NoticeRecord {
  type: 'notice';
  level: Level;
  time: string;
  host: string;
  text: string;
}

export type LiveRecord = EventRecord | MessageRecord | NoticeRecord;

export function noticeRecord(n: Notice): NoticeRecord {
  return { type: 'notice', level: n.text.startsWith(RESTART_NOTICE) ? LEVEL.warn : LEVEL.info, time: iso(n.at), host: n.host, text: n.text };
}

const iso = isoFromMicros;
const RX_ENVELOPE = /^(MAIL FROM|RCPT TO):\s*<([^>]*)>/i;
const RX_REPLY = /^([2-5]\d\d)[ -](?:ok \d+ qp (\d+))?/;

function clientOf(ip: string, host?: string, port?: number): Client {
  const c: Client = { ip };
  if (host !== undefined && host !== '') c.host = host;
  if (port !== undefined) c.port = port;
  return c;
}

const RX_PASS = /\(pass: '.*'\)/;

/** The record of one event, before the commit tells which message a delivery belongs to. */
export function eventRecord(at: number, host: string, source: string, ev: unknown, raw: string): EventRecord {
  // vchkpw may log the password tried (`(pass: '…')`): it never leaves qtrace, not even in the line
  const line = source === 'vchkpw' ? raw.replace(RX_PASS, "(pass: '…')") : raw;
  const r: EventRecord = { type: 'event', level: LEVEL.info, time: iso(at), host, source, kind: (ev as { kind: string }).kind, line };
  if (source === 'send') sendFields(r, ev as SendEvent);
  else if (source === 'smtpd') smtpdFields(r, ev as SmtpdEvent);
  return r;
}

function sendFields(r: EventRecord, ev: SendEvent): void {
  switch (ev.kind) {
    case 'new_msg': case 'end_msg': case 'triple_bounce': case 'double_bounce_discard':
      r.id = idForJson(ev.msg);
      if (ev.kind === 'triple_bounce' || ev.kind === 'double_bounce_discard') r.level = LEVEL.warn;
      return;
    case 'info_msg':
      Object.assign(r, { id: idForJson(ev.msg), bytes: ev.bytes, from: ev.from, qp: ev.qp, uid: ev.uid });
      return;
    case 'delivery_start':
      Object.assign(r, { id: idForJson(ev.msg), did: ev.did, channel: ev.channel, to: ev.to });
      return;
    case 'delivery_result': {
      r.did = ev.did;
      r.result = ev.result;
      r.reason = ev.report.text;
      if (ev.report.smtpCode !== undefined) r.smtp_code = ev.report.smtpCode;
      if (ev.report.dsn !== undefined) r.dsn = ev.report.dsn;
      if (ev.report.ip !== undefined) r.remote_ip = ev.report.ip;
      if (ev.result === 'failure') r.level = LEVEL.warn;
      return;
    }
    case 'delivery_mangled': r.did = ev.did; r.level = LEVEL.warn; return;
    case 'bounce_msg': r.id = idForJson(ev.msg); r.qp = ev.qp; return;
    case 'status':
      r.level = LEVEL.debug;
      r.text = `local ${ev.local}/${ev.localMax} remote ${ev.remote}/${ev.remoteMax}${ev.exitasap ? ' exitasap' : ''}`;
      return;
    case 'status_exiting': r.level = LEVEL.warn; r.text = 'qmail-send exiting'; return;
    case 'daemon': r.text = ev.text; return;
    case 'dispatch': Object.assign(r, { channel: ev.channel, from: ev.from, to: ev.to, bytes: ev.bytes }); return;
    case 'warning': r.level = LEVEL.warn; r.text = ev.text; return;
    case 'alert': r.level = LEVEL.error; r.text = ev.text; return;
  }
}

function smtpdFields(r: EventRecord, ev: SmtpdEvent): void {
  switch (ev.kind) {
    case 'tcp_status': r.level = LEVEL.debug; r.text = `${ev.busy}/${ev.limit}`; return;
    case 'tcp_pid': r.level = LEVEL.debug; r.pid = ev.pid; r.client = clientOf(ev.ip); return;
    case 'tcp_ok': case 'tcp_deny':
      r.pid = ev.pid;
      r.client = clientOf(ev.remote.ip, ev.remote.host, ev.remote.port);
      r.accepted = ev.kind === 'tcp_ok';
      return;
    case 'tcp_end':
      r.pid = ev.pid;
      if (ev.status !== 0) { r.level = LEVEL.warn; r.text = ev.signal !== null ? `killed by signal ${ev.signal}` : `exit ${ev.exitCode ?? ev.status}`; }
      return;
    case 'tcp_warning': r.level = LEVEL.warn; r.text = ev.text; return;
    case 'tcp_fatal': r.level = LEVEL.error; r.text = ev.text; return;
    case 'rbl': r.pid = ev.pid; r.client = clientOf(ev.ip); r.smtp_code = ev.code; r.text = ev.text; r.accepted = false; return;
    case 'rbl_greetdelay': case 'rbl_info': r.pid = ev.pid; r.client = clientOf(ev.ip); r.text = ev.text; return;
    case 'rec_in': case 'rec_out': {
      r.pid = ev.pid; r.text = ev.text;
      // the envelope and the verdicts are worth a line; the rest of the dialogue (and the body) is detail
      const env = ev.kind === 'rec_in' ? RX_ENVELOPE.exec(ev.text) : null;
      const reply = ev.kind === 'rec_out' ? RX_REPLY.exec(ev.text) : null;
      if (env !== null) {
        if (env[1]!.toUpperCase() === 'MAIL') r.from = env[2]!; else r.to = env[2]!;
      } else if (reply !== null && (Number(reply[1]) >= 400 || reply[2] !== undefined)) {
        r.smtp_code = Number(reply[1]);
        if (reply[2] !== undefined) r.qp = Number(reply[2]);
        r.accepted = Number(reply[1]) < 400;
      } else r.level = LEVEL.debug;
      return;
    }
    case 'rec_eof': r.level = LEVEL.debug; r.pid = ev.pid; return;
    case 'chkuser':
      Object.assign(r, { from: ev.sender, to: ev.rcpt, accepted: ev.accepted, client: clientOf(ev.remoteIp, ev.remoteHost), text: ev.title });
      return;
    case 'spamdyke':
      Object.assign(r, { from: ev.from, to: ev.to, accepted: ev.allowed, client: clientOf(ev.originIp, ev.originRdns), text: ev.result });
      if (ev.pid !== null) r.pid = ev.pid;
      return;
    case 'simscan':
      Object.assign(r, { pid: ev.ppid, from: ev.sender, to: ev.rcpts.join(','), client: clientOf(ev.ip), text: ev.result });
      return;
    case 'simscan_debug': r.level = LEVEL.debug; r.text = ev.text; return;
    case 'sqmail':
      Object.assign(r, { pid: ev.pid, client: clientOf(ev.ip, ev.host), text: `${ev.action} ${ev.type} ${ev.condition}`.trim() });
      if (ev.from !== null) r.from = ev.from;
      if (ev.rcpt !== null) r.to = ev.rcpt;
      return;
    case 'qlog':
      Object.assign(r, { from: ev.mailfrom, to: ev.rcptto.join(','), client: clientOf(ev.remoteip, ev.remotehost, ev.remoteport ?? undefined),
        text: `${ev.stage} ${ev.result}${ev.reason === '' ? '' : ': ' + ev.reason}` });
      if (ev.pid !== null) r.pid = ev.pid;
      if (ev.qp !== null) r.qp = ev.qp;
      if (ev.code !== null) r.smtp_code = ev.code;
      return;
    case 'smtpd_pidlog':
      r.pid = ev.pid; r.text = ev.text;
      if (ev.verb === 'MAIL' && ev.addr !== null) r.from = ev.addr;
      if (ev.verb === 'RCPT' && ev.addr !== null) r.to = ev.addr;
      return;
    case 'smtpd_title': r.pid = ev.pid; r.text = `${ev.topic}: ${ev.text}`; return;
    case 'smtpd_logit':
      Object.assign(r, { from: ev.from, to: ev.rcpt, client: clientOf(ev.ip), text: ev.message + (ev.reason === null ? '' : `: ${ev.reason}`) });
      return;
  }
}

/**
 * Fills in what only the correlator knew: the message (id, key) and recipient of each delivery
 * result, the key of each send event. `ats` are the records' times (µs); `timelines` are those
 * the same commit changed.
 */
export function resolveRecords(records: readonly EventRecord[], ats: readonly number[], timelines: readonly Timeline[]): void {
  if (records.length === 0 || timelines.length === 0) return;
  const byMsg = new Map<string, Timeline[]>();       // host:msg → incarnations
  const byDid = new Map<string, Array<{ t: Timeline; i: number }>>(); // host:did:finished → attempt
  for (const t of timelines) {
    const k = `${t.host}:${t.msg}`;
    let l = byMsg.get(k);
    if (l === undefined) byMsg.set(k, (l = []));
    l.push(t);
    for (let i = 0; i < t.deliveries.length; i++) {
      const d = t.deliveries[i]!;
      if (d.finished === null) continue;
      const dk = `${t.host}:${d.did}:${d.finished}`;
      let a = byDid.get(dk);
      if (a === undefined) byDid.set(dk, (a = []));
      a.push({ t, i });
    }
  }
  for (let k = 0; k < records.length; k++) {
    const r = records[k]!;
    if (r.source !== 'send') continue;
    const us = ats[k]!;
    if (r.kind === 'delivery_result' && r.did !== undefined) {
      const hit = byDid.get(`${r.host}:${r.did}:${us}`);
      if (hit?.length === 1) {
        const { t, i } = hit[0]!;
        const d = t.deliveries[i]!;
        r.id = idForJson(t.msg); r.key = keyOf(t); r.to = d.to; r.channel = d.channel;
        if (d.started !== null && d.finished !== null) r.attempt_seconds = (d.finished - d.started) / 1e6;
      }
    } else if (r.id !== undefined) {
      const l = byMsg.get(`${r.host}:${r.id}`);
      const t = l?.find((x) => x.firstSeen <= us && (x.ended === null || x.ended >= us));
      if (t !== undefined) r.key = keyOf(t);
    }
  }
}


/** One summary per message that ended (or was lost) in this commit. */
export function messageRecord(t: Timeline, links: readonly Link[], session: SessionRecord | null): MessageRecord {
  const recipients: RecipientRecord[] = t.recipients.map((rc) => {
    const d = t.deliveries[rc.last];
    const r: RecipientRecord = { to: rc.to, channel: rc.channel, outcome: rc.outcome, attempts: rc.attempts };
    if (d?.reason != null) r.reason = d.reason;
    if (d?.smtpCode != null) r.smtp_code = d.smtpCode;
    if (d?.dsn != null) r.dsn = d.dsn;
    return r;
  });
  const key = keyOf(t);
  const out = links.filter((l) => l.from === key);
  const bounceLink = out.find((l) => l.kind === 'bounce');
  const forwards: LinkRecord[] = [];
  for (const d of t.deliveries) {
    if (d.forwardQp === null) continue;
    forwards.push({ qp: d.forwardQp, key: out.find((l) => l.kind === 'forward' && l.qp === d.forwardQp)?.to ?? null });
  }
  const bad = t.lost || t.tripleBounce || recipients.some((r) => r.outcome === 'failed');
  const end = t.ended ?? t.deliveries.reduce((m, d) => Math.max(m, d.finished ?? 0), t.firstSeen);
  return {
    type: 'message', level: bad ? LEVEL.warn : LEVEL.info, time: iso(end), host: t.host, id: idForJson(t.msg), key,
    from: t.from, bytes: t.bytes, qp: t.qp, queued: t.queued === null ? null : iso(t.queued),
    queue_seconds: t.queued === null || t.ended === null ? null : (t.ended - t.queued) / 1e6,
    partial: t.partial, lost: t.lost, triple_bounce: t.tripleBounce, recipients,
    bounce: t.bounceQp === null ? null : { qp: t.bounceQp, key: bounceLink?.to ?? null },
    bounce_of: links.find((l) => l.kind === 'bounce' && l.to === key)?.from ?? null,
    forwards, forward_of: links.find((l) => l.kind === 'forward' && l.to === key)?.from ?? null,
    session,
  };
}

/** Messages of this commit that are over: ended, or closed as lost. */
export function endedTimelines(timelines: readonly Timeline[]): Timeline[] {
  return timelines.filter((t) => t.ended !== null || t.lost);
}
