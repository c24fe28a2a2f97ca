// Seams: older history read after newer (see ../stitch.ts). A session still open at the end of the
// older lines and the first session of that pid after them that began without tcpserver's line are
// one connection. These work on Session values and on stored snapshots (snapshot.ts), not on a
// running correlator.

import { freeze } from './freeze.js';
import type { HandedSession, Session } from './session-types.js';
import type { SnapshotLists } from './snapshot.js';
import { newParseState, type MSession } from './state.js';

/** One session from its older part (open at the seam) and its later part (begun without a start). */
export function joinSessions(a: Session, b: Session): Session {
  const m: MSession = {
    host: a.host, stream: a.stream, pid: a.pid, start: a.start, end: b.end, lastSeen: b.lastSeen, open: b.open,
    startSeen: a.startSeen, endSeen: b.endSeen,
    client: { ...(a.client.ip !== null ? a.client : b.client) }, local: { ...(a.local.ip !== null ? a.local : b.local) },
    tcp: a.tcp ?? b.tcp, exit: b.exit ?? a.exit, rbl: a.rbl ?? b.rbl, dialogue: a.dialogue || b.dialogue,
    addonEnvelope: a.addons.length + b.addons.length > 0 && !(a.dialogue || b.dialogue),
    greeting: a.greeting ?? b.greeting, helo: a.helo ?? b.helo, auth: a.auth ?? b.auth, tls: a.tls || b.tls,
    quit: a.quit || b.quit, clientEof: b.clientEof ?? a.clientEof, serverEof: b.serverEof ?? a.serverEof,
    unsolicited: b.unsolicited ?? a.unsolicited,
    transactions: [...a.transactions, ...b.transactions].map((t) => ({ ...t, rcpts: t.rcpts.map((r) => ({ ...r })),
      data: t.data.map((d) => ({ ...d })) })),
    otherCommands: [...a.otherCommands, ...b.otherCommands].map((o) => ({ ...o })),
    addons: [...a.addons, ...b.addons], queueWrapper: a.queueWrapper ?? b.queueWrapper, truncated: a.truncated + b.truncated,
    st: newParseState(),
  };
  // the older part was closed at the seam as if the connection ended there: undo that mark
  const lastA = m.transactions[a.transactions.length - 1];
  if (lastA !== undefined && lastA.endedBy === 'close' && b.transactions.length > 0) lastA.endedBy = null;
  return freeze(m);
}

/** A session open in a snapshot (still running in the present) takes on its older part. */
export function prependToSnapshot(snap: unknown, a: Session, laterStart: number): boolean {
  const o = snap as SnapshotLists | null;
  const s = o?.open?.find((x) => x.host === a.host && x.stream === a.stream && x.pid === a.pid && x.start === laterStart);
  if (s === undefined) return false;
  s.start = a.start; s.startSeen = a.startSeen;
  if (s.client.ip === null) s.client = { ...a.client };
  if (s.local.ip === null) s.local = { ...a.local };
  s.tcp ??= a.tcp; s.rbl ??= a.rbl; s.helo ??= a.helo; s.auth ??= a.auth; s.greeting ??= a.greeting;
  s.dialogue ||= a.dialogue;
  const n = a.transactions.length;
  s.transactions = [...a.transactions.map((t) => ({ ...t, rcpts: t.rcpts.map((r) => ({ ...r })), data: t.data.map((d) => ({ ...d })) })),
    ...s.transactions];
  if (s.st.tx >= 0) s.st.tx += n;
  for (const p of s.st.pending) if (p.tx >= 0) p.tx += n;
  s.otherCommands = [...a.otherCommands.map((x) => ({ ...x })), ...s.otherCommands];
  s.addons = [...a.addons, ...s.addons];
  return true;
}

/** True when a snapshot holds this session (open or closing): the run it belongs to continues it. */
export function inSnapshot(snap: unknown, host: string, stream: string, pid: number, start: number): boolean {
  const o = snap as SnapshotLists | null | undefined;
  const is = (s: MSession): boolean => s.host === host && s.stream === stream && s.pid === pid && s.start === start;
  return (o?.open ?? []).some(is) || (o?.closing ?? []).some((c) => is(c.s));
}

/**
 * Older history's session, continued by replaying its later part, replaces that later part in
 * the present's snapshot (which goes on with it: the later lines were its, the rest of the log is
 * the present's). Returns false when the snapshot does not hold the later part.
 */
export function takeOver(snap: unknown, laterStart: number, handed: HandedSession): boolean {
  const o = snap as SnapshotLists | null | undefined;
  if (o === null || o === undefined) return false;
  const s = handed.s as MSession;
  const is = (x: MSession): boolean => x.host === s.host && x.stream === s.stream && x.pid === s.pid && x.start === laterStart;
  const open = (o.open ?? []).filter((x) => !is(x));
  const closing = (o.closing ?? []).filter((c) => !is(c.s));
  if (open.length === (o.open ?? []).length && closing.length === (o.closing ?? []).length) return false;
  if (handed.closing === null) open.push(s);
  else closing.push({ key: handed.closing.key, deadline: handed.closing.deadline, s });
  o.open = open;
  o.closing = closing;
  return true;
}
