// Session → message links, made in the commit that stores either side, over a sliding window:
// the smtpd and send logs are separate files that may arrive in either order, in one run or
// several. The links of the sessions around what this commit wrote are computed again with
// everything the store now holds, and replace the ones they had.

import { learnedUid, linkSessions, namedQps, toSessionLite, type SessionLink } from '../correlate/link-sessions.js';
import type { Session } from '../correlate/sessions.js';
import type { Timeline } from '../correlate/timeline.js';
import type { IngestStore } from '../store/port.js';
import { sessionKey, type StoreWriter } from '../store/writer.js';

/** A message is queued at most this long after its session's DATA (qmail-send may log late). */
const MARGIN_US = 120 * 1_000_000;

/** Returns the links it wrote (those of the sessions around what the commit stored). */
export function linkWindow(store: IngestStore, w: StoreWriter, sessions: readonly Session[], timelines: readonly Timeline[]): SessionLink[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of sessions) {
    if (s.start < lo) lo = s.start;
    const end = s.end ?? s.lastSeen;
    if (end > hi) hi = end;
  }
  for (const t of timelines) {
    if (t.qp === null) continue; // only a message's info line (its qp) can link it
    if (t.firstSeen < lo) lo = t.firstSeen;
    if (t.firstSeen > hi) hi = t.firstSeen;
  }
  if (lo > hi || (sessions.length === 0 && !store.hasSessions())) return [];
  // core: the sessions whose links this commit may change; around them, every session and message
  // that could compete for the same link, so an inference never ignores a rival it could not see
  const core = store.sessionsOverlapping(lo - MARGIN_US, hi + MARGIN_US);
  if (core.length === 0) return [];
  let mLo = lo - MARGIN_US;
  let mHi = hi + MARGIN_US;
  for (const s of core) {
    if (s.start < mLo) mLo = s.start;
    const end = (s.end ?? s.lastSeen) + MARGIN_US;
    if (end > mHi) mHi = end;
  }
  const around = store.sessionsOverlapping(mLo - MARGIN_US, mHi);
  // only the messages a link can reach are read: those a DATA names by qp, then those of the uid
  // the exact links teach (linkSessions gives the same links as with every message of the window)
  const lites = around.map(toSessionLite);
  const qps = namedQps(lites);
  const named = store.messagesNamed(mLo, mHi, qps);
  const uid = learnedUid(lites, named);
  const messages = uid === undefined ? named : [...named, ...store.messagesOfUid(mLo, mHi, uid, qps)];
  const keys = new Set(core.map(sessionKey));
  const links = linkSessions(lites, messages)
    .filter((l) => keys.has(`${l.host}:${l.stream ?? ''}:${l.pid}:${l.start}`));
  w.sessionLinks(keys, links);
  return links;
}
