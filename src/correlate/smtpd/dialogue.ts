// The SMTP dialogue state machine of one session, fed typed events (parsers/smtp-dialogue.ts via
// recordio-join.ts): client commands are paired with server replies through a FIFO (pipelining),
// the DATA body is counted in bytes and never kept, and transactions are split at RSET, HELO/EHLO
// and a second MAIL. Lists are capped at `maxItems`; what the caps drop is counted in `truncated`.

import { authArgument, type ClientEvent, type SmtpCommand, type SmtpReply } from '../../../parsers/smtp-dialogue.js';
import { authUser } from './auth.js';
import type { SessionReply } from './session-types.js';
import { closeTx, type MData, type MSession, type Pending } from './state.js';

/** A client line, typed by the mode the server reads in. */
export function onClient(s: MSession, time: number, e: ClientEvent, maxItems: number): void {
  const st = s.st;
  switch (e.kind) {
    case 'command':
      command(s, time, e.cmd, maxItems);
      return;
    case 'body': case 'body_end': {
      const d = s.transactions[st.tx]?.data[st.body];
      if (d === undefined) { st.mode = 'cmd'; return; }
      if (e.kind === 'body_end') {
        st.mode = 'cmd';
        expect(s, { c: 'DATA_END', tx: st.tx, i: st.body }, maxItems);
        d.end = time;
        return;
      }
      d.bodyBytes += e.bytes;
      d.bodyLines += 1;
      d.end = time;
      return;
    }
    case 'auth_response': {
      st.mode = 'cmd';
      if (e.response === null) return;
      const a = s.auth;
      if (a !== null && a.user === null) {
        const u = authUser(a.mechanism, e.response, st.authData);
        if (u !== null) a.user = u;
      }
      st.authData += 1;
      expect(s, { c: 'AUTH_DATA', tx: st.tx, i: -1 }, maxItems);
    }
  }
}

/** A complete server reply line. */
export function onReply(s: MSession, time: number, r: SmtpReply): void {
  const st = s.st;
  if (r.more) {
    if (st.multi === null) st.multi = { code: r.code, text: r.text.slice(0, 255), reason: r.reason ?? null };
    return;
  }
  const reply: SessionReply = st.multi === null
    ? { code: r.code, text: r.text.slice(0, 255), reason: r.reason ?? null }
    : { code: st.multi.code, text: st.multi.text, reason: r.reason ?? st.multi.reason };
  st.multi = null;
  st.replies += 1;
  if (st.replies === 1 && s.startSeen && (reply.code === 220 || reply.code === 421 || reply.code === 554)) {
    s.greeting = reply;                      // the first reply is the greeting, even if the client talked first
    return;
  }
  const p = st.pending.shift();
  if (p === undefined) {
    if (st.mode === 'body') {                // e.g. 451 bare LF or timeout in the middle of the body
      const d = s.transactions[st.tx]?.data[st.body];
      if (d !== undefined) dataFinal(d, time, reply, r.qp, r.time);
      st.mode = 'cmd';
      return;
    }
    if (s.greeting === null && s.transactions.length === 0 && s.otherCommands.length === 0) s.greeting = reply;
    else s.unsolicited = reply;
    return;
  }
  answer(s, time, p, reply, r.qp, r.time);
}

/** The connection is gone (its pending client line already given): a DATA cut short is dropped. */
export function endDialogue(s: MSession): void {
  const st = s.st;
  const t = st.tx >= 0 ? s.transactions[st.tx] : undefined;
  if (st.mode === 'body' && t !== undefined) {
    const d = t.data[st.body];
    if (d !== undefined && d.result === 'unknown') {
      d.result = 'dropped';
      d.end = s.lastSeen;
    }
  }
  if (t !== undefined && t.endedBy === null) t.endedBy = 'close';
}

function expect(s: MSession, p: Pending, maxItems: number): void {
  const q = s.st.pending;
  if (q.length >= maxItems) { q.shift(); s.truncated += 1; }
  q.push(p);
}

function other(s: MSession, time: number, verb: string, word: string, maxItems: number): number {
  if (s.otherCommands.length >= maxItems) { s.truncated += 1; return -1; }
  s.otherCommands.push({ time, verb, word: word.slice(0, 64), code: null });
  return s.otherCommands.length - 1;
}

function command(s: MSession, time: number, cmd: SmtpCommand, maxItems: number): void {
  const st = s.st;
  switch (cmd.verb) {
    case 'HELO': case 'EHLO':
      s.helo = { verb: cmd.verb, arg: cmd.arg.slice(0, 255) };
      closeTx(s, 'helo');
      expect(s, { c: cmd.verb, tx: -1, i: -1 }, maxItems);
      return;
    case 'MAIL': {
      const cur = st.tx >= 0 ? s.transactions[st.tx] : undefined;
      if (cur !== undefined && (cur.mailFrom !== null || cur.rcpts.length > 0 || cur.data.length > 0)) closeTx(s, 'mail');
      if (s.transactions.length >= maxItems) { s.truncated += 1; expect(s, { c: 'OTHER', tx: -1, i: -1 }, maxItems); return; }
      s.transactions.push({ start: time, mailFrom: cmd.addr ?? '', mailAccepted: null, mailReply: null, rcpts: [], data: [], endedBy: null });
      st.tx = s.transactions.length - 1;
      expect(s, { c: 'MAIL', tx: st.tx, i: -1 }, maxItems);
      return;
    }
    case 'RCPT': {
      const t = st.tx >= 0 ? s.transactions[st.tx] : undefined;
      if (t === undefined || t.rcpts.length >= maxItems) {
        if (t !== undefined) s.truncated += 1;
        expect(s, { c: 'OTHER', tx: -1, i: t === undefined ? other(s, time, 'RCPT', cmd.word, maxItems) : -1 }, maxItems);
        return;
      }
      t.rcpts.push({ time, addr: cmd.addr ?? '', accepted: null, code: null, text: null, reason: null });
      expect(s, { c: 'RCPT', tx: st.tx, i: t.rcpts.length - 1 }, maxItems);
      return;
    }
    case 'DATA': {
      const t = st.tx >= 0 ? s.transactions[st.tx] : undefined;
      if (t === undefined || t.data.length >= maxItems) {
        if (t !== undefined) s.truncated += 1;
        expect(s, { c: 'OTHER', tx: -1, i: t === undefined ? other(s, time, 'DATA', cmd.word, maxItems) : -1 }, maxItems);
        return;
      }
      t.data.push({ time, goAhead: false, bodyBytes: 0, bodyLines: 0, end: null, code: null, text: null, reason: null,
        qp: null, acceptedAt: null, result: 'unknown' });
      expect(s, { c: 'DATA', tx: st.tx, i: t.data.length - 1 }, maxItems);
      return;
    }
    case 'RSET':
      closeTx(s, 'rset');
      expect(s, { c: 'RSET', tx: -1, i: -1 }, maxItems);
      return;
    case 'QUIT':
      s.quit = true;
      closeTx(s, 'quit');
      expect(s, { c: 'QUIT', tx: -1, i: -1 }, maxItems);
      return;
    case 'AUTH': {
      const { mechanism, initial } = authArgument(cmd.arg);
      s.auth = { mechanism, user: null, ok: null };
      st.authData = 0;
      if (initial !== null) {
        s.auth.user = authUser(mechanism, initial, 0);
        st.authData = 1;
      }
      expect(s, { c: 'AUTH', tx: -1, i: -1 }, maxItems);
      return;
    }
    case 'STARTTLS':
      expect(s, { c: 'STARTTLS', tx: -1, i: -1 }, maxItems);
      return;
    default:
      expect(s, { c: 'OTHER', tx: -1, i: other(s, time, cmd.verb, cmd.word, maxItems) }, maxItems);
  }
}

function dataFinal(d: MData, time: number, reply: SessionReply, qp: number | undefined, at: number | undefined): void {
  d.end = time;
  d.code = reply.code;
  d.text = reply.text;
  d.reason = reply.reason;
  if (reply.code >= 200 && reply.code < 300) {
    d.result = 'queued';
    d.qp = qp ?? null;
    d.acceptedAt = at ?? null;
  } else d.result = reply.code >= 500 ? 'refused' : reply.code >= 400 ? 'tempfail' : 'unknown';
}

function answer(s: MSession, time: number, p: Pending, reply: SessionReply, qp: number | undefined, at: number | undefined): void {
  const st = s.st;
  const ok = reply.code >= 200 && reply.code < 400;
  switch (p.c) {
    case 'MAIL': {
      const t = s.transactions[p.tx];
      if (t !== undefined) { t.mailAccepted = ok; t.mailReply = reply; }
      return;
    }
    case 'RCPT': {
      const r = s.transactions[p.tx]?.rcpts[p.i];
      if (r !== undefined) {
        r.accepted = ok;
        r.code = reply.code;
        r.text = reply.text;
        r.reason = ok ? null : reply.reason;
      }
      return;
    }
    case 'DATA': {
      const d = s.transactions[p.tx]?.data[p.i];
      if (d === undefined) return;
      if (reply.code === 354) {
        d.goAhead = true;
        st.mode = 'body';
        st.tx = p.tx;
        st.body = p.i;
        return;
      }
      dataFinal(d, time, reply, qp, at);
      return;
    }
    case 'DATA_END': {
      const d = s.transactions[p.tx]?.data[p.i];
      if (d !== undefined) dataFinal(d, time, reply, qp, at);
      return;
    }
    case 'AUTH': case 'AUTH_DATA':
      if (s.auth === null) return;
      if (reply.code === 334) st.mode = 'auth';
      else s.auth.ok = reply.code === 235 ? true : reply.code >= 400 ? false : s.auth.ok;
      return;
    case 'STARTTLS':
      if (reply.code === 220) {
        s.tls = true;
        st.mode = 'tls';
        st.pending.length = 0;
      }
      return;
    case 'OTHER': {
      const o = p.i >= 0 ? s.otherCommands[p.i] : undefined;
      if (o !== undefined) o.code = reply.code;
      return;
    }
    default:
      return;
  }
}
