// Wires the pipeline to the SQLite store: each commit point becomes one transaction holding the
// data, the correlators' state and the file positions it leads to, so a kill, a signal or a
// rerun neither loses nor duplicates anything. Session links are made in that same transaction.
// History read out of order is planned in plan.ts and stitched in stitch-segment.ts.

import type { Framing } from '../../parsers/frame.js';
import { isoFromMicros } from '../../parsers/timestamp.js';
import { escapeTerminal } from '../text/escape.js';
import { Correlator, type CorrelatorSnapshot, type Output } from '../correlate/correlator.js';
import type { SessionLink } from '../correlate/link-sessions.js';
import { SessionCorrelator, type Session } from '../correlate/sessions.js';
import { AddonCorrelator } from '../correlate/addons.js';
import { applyBatch } from '../store/batch.js';
import type { Db } from '../store/db.js';
import { linkWindow } from './link-window.js';
import { lockStore } from '../store/lock.js';
import { sqliteStore, type IngestStore } from '../store/port.js';
import { replaySeams, stitchSegment, type StitchCounts } from './stitch-segment.js';
import { sessionKey } from '../store/writer.js';
import type { Log } from '../util/log.js';
import type { InputFile } from './inputs.js';
import { plan, stateName, type Plan } from './plan.js';
import { foreign, stagesFor } from './programs.js';
import { emptyStats, Pipeline, type CommitBatch, type FileHow, type FilePosition, type Group, type IngestSink, type IngestStats, type ReaderState } from './pipeline.js';
import { zoneResolver } from './zone.js';
import { readInThread } from './reader-thread.js';
import { availableParallelism } from 'node:os';

export interface IngestOptions {
  readonly host: string;
  readonly tz?: string | undefined;
  readonly format?: Framing | undefined;
  readonly commitLines?: number;
  readonly commitMs?: number;
  readonly idleMs?: number;                  // a live input quiet this long commits what it gave
  readonly log?: Log | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly wait?: boolean | undefined;       // a second writer waits for the first
  readonly observer?: IngestObserver | undefined;
  /** Read and parse on a thread of their own (files only; undefined: for a load of READER_THREAD_BYTES or more). */
  readonly reader?: 'thread' | 'inline' | undefined;
}

/** Sees each event, and each commit once it is stored (the live view and the metrics). */
export interface IngestObserver {
  readonly onEvent?: IngestSink['onEvent'];
  onFile?(f: InputFile, skipped: boolean): void;
  /** `links`: the session links this commit made (exact and inferred), as the store now has them. */
  onCommit?(b: StoredCommit, sessions: readonly Session[], stats: Readonly<IngestStats>, links: readonly SessionLink[]): void;
}

/** A commit as stored: the reader's batch and what qmail-send's correlator drained into it. */
export interface StoredCommit extends CommitBatch { readonly output: Output }

export interface IngestResult extends IngestStats {
  readonly messagesTouched: number;
  readonly openMessages: number;
  readonly sessions: number;
  readonly links: { readonly exact: number; readonly inferred: number };
  readonly stitched: StitchCounts;
  readonly segments: number;                  // out-of-order segments read (and stitched)
  readonly notices: { readonly warning: number; readonly alert: number };
}

function restoreSessions(snap: unknown): SessionCorrelator {
  if (snap === undefined) return new SessionCorrelator();
  try {
    return SessionCorrelator.restore(snap);
  } catch {
    return new SessionCorrelator(); // a snapshot of another version: start afresh, sessions rejoin by key
  }
}


export async function ingestToStore(db: Db, groups: readonly Group[], opts: IngestOptions): Promise<IngestResult> {
  const store = sqliteStore(db);
  const release = await lockStore(store.path, opts.wait === true ? { wait: true } : {});
  try {
    const w0 = store.writer();
    const passes = plan(w0, groups, opts.host);
    const total: IngestStats = emptyStats();
    let touched = 0;
    let openMessages: number;
    let sessions = 0;
    const links = { exact: 0, inferred: 0 };
    const stitched: StitchCounts = { messages: 0, sessions: 0, deliveries: 0, links: 0, lost: 0 };
    const notices = { warning: 0, alert: 0 };
    let segments = 0;
    // A first load from files: build the secondary indexes once at the end (a pipe may be live,
    // and then queries need them all along).
    const bulk = filesOnly(groups) !== undefined && store.isEmpty();
    if (bulk) store.deferIndexes();
    for (const pass of passes) {
      if (opts.signal?.aborted === true) break;
      if (pass.segment !== 0) {
        segments++;
        const open = w0.getState<number[]>('segments') ?? [];
        if (!open.includes(pass.segment)) w0.transaction(() => w0.putState('segments', [...open, pass.segment]));
      }
      const r = await runPass(store, pass, opts, stitched, notices);
      touched += r.touched;
      sessions += r.sessions;
      addStats(total, r.stats);
    }
    if (bulk) store.restoreIndexes();
    openMessages = store.openCount();
    // links are made again as their window moves: the store's count is the one that means something
    Object.assign(links, store.linkCounts());
    return { ...total, messagesTouched: touched, openMessages, sessions, links, stitched, segments, notices };
  } finally {
    release();
  }
}

/** Files of this size or more are read on a thread of their own: below, its start-up is what it would save. */
export const READER_THREAD_BYTES = 4 << 20;

/** The groups when they are all plain lists of files (not a pipe, not a followed log), else undefined. */
function filesOnly(groups: readonly Group[]): ReadonlyArray<readonly InputFile[]> | undefined {
  return groups.every((g) => Array.isArray(g) && !(g as readonly InputFile[]).some((f) => f.kind === 'stream'))
    ? groups as ReadonlyArray<readonly InputFile[]> : undefined;
}

function onThread(opts: IngestOptions, files: ReadonlyArray<readonly InputFile[]>): boolean {
  if (opts.reader === 'inline' || opts.observer?.onEvent !== undefined) return false; // the live view wants each line as it comes
  if (opts.reader === 'thread') return true;
  return availableParallelism() > 1 && files.flat().reduce((n, f) => n + f.size, 0) >= READER_THREAD_BYTES;
}

function addStats(into: IngestStats, s: IngestStats): void {
  for (const k of Object.keys(s) as Array<keyof IngestStats>) {
    if (k === 'failedFiles') into.failedFiles.push(...s.failedFiles);
    else if (k === 'foreignBy') for (const [p, n] of Object.entries(s.foreignBy)) into.foreignBy[p] = (into.foreignBy[p] ?? 0) + n;
    else (into[k] as number) += s[k] as number;
  }
}

async function runPass(store: IngestStore, pass: Plan, opts: IngestOptions, stitched: StitchCounts,
  noticeCounts: { warning: number; alert: number }): Promise<{ stats: IngestStats; touched: number; sessions: number }> {
  const seg = pass.segment;
  const w = store.writer(seg);
  const sessions = restoreSessions(w.getState<unknown>(stateName('sessions', seg)));
  const open = store.openTimelines(w, seg);
  const correlator = Correlator.restore(w.getState<CorrelatorSnapshot>(stateName('correlator', seg)), open);
  const addons = AddonCorrelator.restore((host, ip, at) => sessions.openFrom(host, ip, at), w.getState<unknown>(stateName('addons', seg)));
  const aw = store.addonWriter(seg);
  const stages = stagesFor({ send: correlator, sessions, addons });
  const p = new Pipeline({
    host: opts.host, zone: zoneResolver(opts.tz), format: opts.format, signal: opts.signal, segment: seg,
    stages, foreign,
    ...(opts.commitLines === undefined ? {} : { commitLines: opts.commitLines }),
    ...(opts.commitMs === undefined ? {} : { commitMs: opts.commitMs }),
    ...(opts.idleMs === undefined ? {} : { idleMs: opts.idleMs }),
  }, w.getState<ReaderState>(stateName('reader', seg)));
  const written = new Set<string>();
  const log = opts.log;
  const sink: IngestSink = {
    position: (fp) => w.position(fp),
    onFile: (f: InputFile, how: FileHow, detail?: string) => {
      opts.observer?.onFile?.(f, how === 'skipped');
      if (log === undefined) return;
      const name = f.path === '-' ? 'standard input' : f.path;
      if (how === 'failed') log.error({ file: name }, `cannot read ${name}: ${detail ?? ''} (skipped)`);
      else if (how === 'replaced') log.warn({ file: name }, `${name} is shorter than what was read of it: replaced, read again from its start`);
      else log.info({ bytes: f.size, segment: seg }, `${how} ${name}`);
    },
    ...(opts.observer?.onEvent === undefined ? {} : { onEvent: opts.observer.onEvent }),
    commit: (batch) => {
      const b: StoredCommit = { ...batch, output: correlator.drain(batch.final) };
      // qtrace's own findings and tcpserver's warnings go beside qmail-send's
      const readerNotices = [...b.notices, ...sessions.drainNotices()];
      for (const n of [...b.output.notices, ...readerNotices]) {
        if (n.level === 'warning') noticeCounts.warning++;
        else if (n.level === 'alert') noticeCounts.alert++;
      }
      if (log !== undefined && log.isLevelEnabled('info')) {
        for (const n of [...b.output.notices, ...readerNotices]) {
          const at = isoFromMicros(n.at);
          const text = escapeTerminal(n.text);
          if (n.level === 'alert') log.error({ host: n.host, at }, `qmail-send alert: ${text}`);
          else log.warn({ host: n.host, at }, n.level === 'warning' ? `qmail-send warning: ${text}` : text);
        }
        log.debug({ lines: b.stats.lines, open: correlator.openCount(), unknown: b.stats.unknown }, b.final ? 'last commit' : 'commit');
      }
      // The end of an older segment: its open sessions first take the events of their later part.
      const seamEnd = b.final && seg !== 0 && opts.signal?.aborted !== true;
      const replayed = seamEnd ? replaySeams(store, w, sessions) : { drop: [], handed: [], present: undefined };
      stitched.sessions += replayed.drop.length;
      // Sessions in progress (open, or in their grace period after `end`) are stored as they
      // stand and stay in the state: the end of a run is not the end of the log, and the next run
      // continues them (recordio's `[EOF]` after tcpserver's end still joins its session). Only
      // an older segment ends for good: what it holds is final.
      const closed = sessions.drain();
      const added = addons.drain(b.final);
      const state: Array<readonly [string, unknown]> = [[stateName('correlator', seg), correlator.snapshot()],
        [stateName('reader', seg), b.reader], [stateName('sessions', seg),
          // the snapshot is written in this same tick; only a segment's end flushes the sessions
          // it refers to before then, so only that one needs its own copy
          b.final && seg !== 0 ? structuredClone(sessions.snapshot()) : sessions.snapshot()],
        [stateName('addons', seg), addons.snapshot()]];
      const all = [...(b.final && seg !== 0 ? [...closed, ...sessions.flushClosing(), ...sessions.flushOpen()]
        : [...closed, ...sessions.peek(b.final)]), ...replayed.handed];
      for (const x of all) written.add(sessionKey(x));
      let made: SessionLink[] = [];
      w.transaction(() => {
        for (const key of replayed.drop) store.dropSession(key, undefined);
        if (replayed.present !== undefined) w.putState('sessions', replayed.present);
        applyBatch(w, { output: b.output, notices: readerNotices, sessions: all, unknowns: b.unknowns, state, positions: b.positions });
        aw.write(added);
        made = linkWindow(store, w, all, b.output.timelines);
        if (seamEnd) {
          const s = stitchSegment(store, w, seg, correlator, all);
          for (const k of Object.keys(s) as Array<keyof StitchCounts>) stitched[k] += s[k];
        }
      });
      opts.observer?.onCommit?.(b, all, b.stats, made);
    },
  };
  const files = filesOnly(pass.groups);
  const stats = files !== undefined && onThread(opts, files)
    ? await readInThread({
      host: opts.host, tz: opts.tz, format: opts.format, segment: seg, commitLines: opts.commitLines, commitMs: opts.commitMs,
      groups: files, reader: w.getState<ReaderState>(stateName('reader', seg)),
      positions: files.flat().flatMap((f) => {
        const pos = f.fingerprint === undefined ? undefined : w.position(f.fingerprint);
        return pos === undefined ? [] : [[f.fingerprint!, pos] as [string, FilePosition]];
      }),
    }, stages, sink, opts.signal)
    : await p.run(pass.groups, sink);
  return { stats, touched: correlator.stats.messagesOpened, sessions: written.size };
}
