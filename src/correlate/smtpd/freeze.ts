// A session as the correlator hands it out: an immutable copy of its state, with its verdict.

import type { Session } from './session-types.js';
import type { MSession } from './state.js';
import { verdictOf } from './verdict.js';

/** The public, immutable copy of a session, with its verdict. */
export function freeze(s: MSession): Session {
  const v = verdictOf(s);
  return {
    host: s.host, stream: s.stream, pid: s.pid, start: s.start, end: s.end, lastSeen: s.lastSeen, open: s.open,
    startSeen: s.startSeen, endSeen: s.endSeen, client: { ...s.client }, local: { ...s.local }, tcp: s.tcp,
    exit: s.exit === null ? null : { ...s.exit }, rbl: s.rbl === null ? null : { ...s.rbl }, dialogue: s.dialogue,
    greeting: s.greeting, helo: s.helo, auth: s.auth === null ? null : { ...s.auth }, tls: s.tls, quit: s.quit,
    clientEof: s.clientEof, serverEof: s.serverEof, unsolicited: s.unsolicited,
    transactions: s.transactions.map((t) => ({
      start: t.start, mailFrom: t.mailFrom, mailAccepted: t.mailAccepted, mailReply: t.mailReply,
      rcpts: t.rcpts.map((r) => ({ ...r })), data: t.data.map((d) => ({ ...d })), endedBy: t.endedBy,
    })),
    otherCommands: s.otherCommands.map((o) => ({ ...o })), addons: s.addons.slice(), queueWrapper: s.queueWrapper,
    queued: v.queued, verdict: v.verdict, refused: v.refused, truncated: s.truncated,
    ...(s.seam === undefined ? {} : { seam: s.seam }),
  };
}
