// The store as the ingest side sees it: the calls it makes, and nothing else of SQLite. The
// ingest decides (correlators, linker, stitch); these calls read what it asks for and write
// what it decided.

import type { OrphanResult } from '../correlate/correlator.js';
import type { MessageLite } from '../correlate/link-sessions.js';
import type { Session } from '../correlate/sessions.js';
import type { Joined, SeamAfter } from '../correlate/stitch.js';
import type { Timeline } from '../correlate/timeline.js';
import type { MsgId } from '../../parsers/ids.js';
import { deferIndexes, restoreIndexes } from './bulk.js';
import type { Db } from './db.js';
import { hasSessions, messagesNamed, messagesOfUid, sessionsOverlapping } from './link.js';
import { loadOpenTimelines } from './open.js';
import { afterSeam, closeSegment, dropJoined, dropOrphan, dropSession, laterSession } from './stitch.js';
import { StoreWriter } from './writer.js';
import { AddonWriter } from './addons.js';

export interface IngestStore {
  /** The store's path (the writer lock lies beside it). */
  readonly path: string;
  /** The writer of one segment (0: the present): timelines, sessions, state, positions. */
  writer(segment?: number): StoreWriter;
  /** The writer of the add-ons' records (vchkpw, Plesk, qmail-scanner) of one segment. */
  addonWriter(segment?: number): AddonWriter;
  isEmpty(): boolean;
  /** A first load: secondary indexes are built once at its end (restoreIndexes). */
  deferIndexes(): void;
  restoreIndexes(): void;
  /** The timelines still open in w's segment, which w then continues in place. */
  openTimelines(w: StoreWriter, segment: number): Timeline[];
  /** Messages still queued in the present. */
  openCount(): number;
  /** Session links as stored, by kind. */
  linkCounts(): { exact: number; inferred: number };
  hasSessions(): boolean;
  /** Sessions open at some time in [lo, hi]. */
  sessionsOverlapping(lo: number, hi: number): Session[];
  /** Messages first seen in [lo, hi] with one of these qps, as the linker sees them. */
  messagesNamed(lo: number, hi: number, qps: readonly number[]): MessageLite[];
  /** …and those of this uid with none of these qps. */
  messagesOfUid(lo: number, hi: number, uid: number, qps: readonly number[]): MessageLite[];
  /** What the present holds after a seam for one host; the timelines it reads are w's to update. */
  afterSeam(w: StoreWriter, host: string, seam: number, segment: number, msgs: readonly MsgId[], qps: readonly number[],
    horizon: number): SeamAfter;
  /** A later timeline folded into the older one: its rows go, its links name the older one. */
  dropJoined(j: Joined): void;
  dropOrphan(o: OrphanResult): void;
  /** The segment's rows become the present's. */
  closeSegment(segment: number): void;
  /** The first stored session of this pid after the seam that began without tcpserver's line. */
  laterSession(s: Session, seam: number): { session: Session; key: string } | undefined;
  dropSession(key: string, into: string | undefined): void;
}

export function sqliteStore(db: Db): IngestStore {
  return {
    path: db.name,
    writer: (segment = 0) => new StoreWriter(db, segment),
    addonWriter: (segment = 0) => new AddonWriter(db, segment),
    isEmpty: () => db.prepare('SELECT 1 FROM messages LIMIT 1').get() === undefined,
    deferIndexes: () => deferIndexes(db),
    restoreIndexes: () => restoreIndexes(db),
    openTimelines: (w, segment) => {
      const open = loadOpenTimelines(db, segment);
      w.adopt(open);
      return open.map(([t]) => t);
    },
    openCount: () => db.prepare('SELECT count(*) FROM messages WHERE ended_d IS NULL AND lost = 0 AND segment = 0').pluck().get() as number,
    linkCounts: () => {
      const n = { exact: 0, inferred: 0 };
      for (const r of db.prepare('SELECT link, count(*) AS n FROM session_links GROUP BY link').all() as Array<{ link: 'exact' | 'inferred'; n: number }>) {
        n[r.link] = r.n;
      }
      return n;
    },
    hasSessions: () => hasSessions(db),
    sessionsOverlapping: (lo, hi) => sessionsOverlapping(db, lo, hi),
    messagesNamed: (lo, hi, qps) => messagesNamed(db, lo, hi, qps),
    messagesOfUid: (lo, hi, uid, qps) => messagesOfUid(db, lo, hi, uid, qps),
    afterSeam: (w, host, seam, segment, msgs, qps, horizon) => {
      const { after, rowids } = afterSeam(db, host, seam, segment, msgs, qps, horizon);
      w.adopt(rowids);
      return after;
    },
    dropJoined: (j) => dropJoined(db, j),
    dropOrphan: (o) => dropOrphan(db, o),
    closeSegment: (segment) => closeSegment(db, segment),
    laterSession: (s, seam) => laterSession(db, s, seam),
    dropSession: (key, into) => dropSession(db, key, into),
  };
}
