// The live observer of an ingest: turns each commit's events and ended messages into records and
// hands them on (printer, metrics) only once they are stored, so what is shown is in the store.
// Sessions are linked to the messages that ended in the commit (the store's own rule, over the
// span they cover), so a summary can name its SMTP session.

import type { Link } from '../correlate/correlator.js';
import type { Session } from '../correlate/sessions.js';
import type { CommitBatch, IngestStats } from '../ingest/pipeline.js';
import type { IngestObserver } from '../ingest/to-store.js';
import { sessionsOfMessages } from '../query/sessions.js';
import type { Db } from '../store/db.js';
import { linkSessionsInStore } from '../store/link.js';
import { StoreWriter } from '../store/writer.js';
import { endedTimelines, eventRecord, messageRecord, noticeRecord, resolveRecords, type EventRecord, type LiveRecord, type SessionRecord } from './records.js';

export interface LiveOptions {
  /** Called after each commit with its records, in log order (events first, then summaries). */
  readonly emit: (records: readonly LiveRecord[], sessions: readonly Session[], stats: Readonly<IngestStats>) => void;
}

export function liveObserver(db: Db, o: LiveOptions): IngestObserver {
  let pending: EventRecord[] = [];
  // links seen but whose message has not ended yet (a bounce is linked before its original ends)
  const links = new Map<string, Link[]>();
  let writer: StoreWriter | undefined;
  let smtpd = false;
  const remember = (k: string, l: Link): void => {
    const a = links.get(k);
    if (a === undefined) links.set(k, [l]);
    else a.push(l);
  };
  return {
    onEvent: (at, host, source, ev, raw) => {
      if (source === 'smtpd') smtpd = true;
      pending.push(eventRecord(at, host, source, ev, raw));
    },
    onCommit: (b: CommitBatch, sessions, stats) => {
      const events = pending;
      pending = [];
      resolveRecords(events, b.output.timelines);
      const out: LiveRecord[] = [];
      for (const n of b.output.notices) if (n.level === 'qtrace') out.push(noticeRecord(n));
      for (const r of events) out.push(r);
      for (const l of b.output.links) { remember(l.from, l); remember(l.to, l); }
      const ended = endedTimelines(b.output.timelines);
      if (ended.length > 0) {
        const sessionOf = new Map<string, SessionRecord>();
        if (smtpd) {
          let from = Infinity;
          let to = -Infinity;
          for (const t of ended) { from = Math.min(from, t.queued ?? t.firstSeen); to = Math.max(to, t.ended ?? t.firstSeen); }
          writer ??= new StoreWriter(db);
          linkSessionsInStore(db, writer, from, to);
          for (const [key, v] of sessionsOfMessages(db, ended.map((t) => t.key))) {
            sessionOf.set(key, { key: v.id, link: v.link, pid: v.pid, client_ip: v.client.ip, client_host: v.client.host, helo: v.helo, verdict: v.verdict });
          }
        }
        const summaries = ended.map((t) => messageRecord(t, links.get(t.key) ?? [], sessionOf.get(t.key) ?? null));
        for (const t of ended) links.delete(t.key);
        for (const s of summaries) out.push(s);
      }
      out.sort(byTime); // stable: a summary comes right after its `end msg`
      o.emit(out, sessions, stats);
    },
  };
}

const byTime = (x: LiveRecord, y: LiveRecord): number => (x.time < y.time ? -1 : x.time > y.time ? 1 : 0);
