// The reader thread (src/ingest/reader-thread.ts) must be invisible: every event crosses the
// channel as it was parsed, and a load read on two threads leaves the store one thread leaves,
// also when it is stopped half-way and continued.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChannelReader, ChannelWriter, type Chunk } from '../../src/ingest/event-channel.js';
import { expandInputs } from '../../src/ingest/inputs.js';
import { Pipeline } from '../../src/ingest/pipeline.js';
import { foreign, stagesFor } from '../../src/ingest/programs.js';
import { zoneResolver } from '../../src/ingest/zone.js';
import { Correlator } from '../../src/correlate/correlator.js';
import { SessionCorrelator } from '../../src/correlate/sessions.js';
import { AddonCorrelator } from '../../src/correlate/addons.js';
import { ingestPaths, LAB, PUBLIC, REPO, tempDb } from '../helpers/lab.js';
import { storeView, viewDiff } from '../helpers/store-view.js';
import { keySql } from '../../src/store/rows.js';
import { sendCodec } from '../../src/ingest/send-codec.js';
import { qtrace } from '../helpers/cli.js';

interface Rec { stage: number; at: number; host: string; stream: string; ev: unknown }

/** Every event the stages take from these inputs, in order, as the parsers made them. */
async function eventsOf(paths: readonly string[], opts: { host?: string; tz?: string } = {}): Promise<Rec[]> {
  const sessions = new SessionCorrelator();
  const real = stagesFor({ send: new Correlator(), sessions, addons: AddonCorrelator.restore((h, ip, at) => sessions.openFrom(h, ip, at), undefined) });
  const out: Rec[] = [];
  const stages = real.map((st, i) => ({ ...st, push: (at: number, host: string, stream: string, ev: unknown) => { out.push({ stage: i, at, host, stream, ev }); } }));
  const p = new Pipeline({ host: opts.host ?? 'vm', zone: zoneResolver(opts.tz), stages, foreign });
  await p.run(expandInputs([...paths], 'stdin'), { position: () => undefined, commit: () => {} });
  return out;
}

/** The same records through a writer and a reader, each chunk structured-cloned as postMessage would. */
function throughChannel(recs: readonly Rec[], sizes: { nums?: number; tableMax?: number; reportsMax?: number } = {}): Rec[] {
  const codecs = stagesFor({ send: new Correlator(), sessions: new SessionCorrelator() , addons: AddonCorrelator.restore(() => undefined as never, undefined) })
    .map((st) => (st.name === 'send' && sizes.reportsMax !== undefined ? () => sendCodec(sizes.reportsMax) : st.codec));
  const chunks: Chunk[] = [];
  const w = new ChannelWriter(codecs, (c) => chunks.push(structuredClone(c)), sizes);
  recs.forEach((r, i) => {
    w.record(r.stage, r.at, r.host, r.stream, r.ev);
    if (i % 1000 === 999) chunks.push(structuredClone(w.take()));
  });
  chunks.push(structuredClone(w.take()));
  const r = new ChannelReader(codecs);
  const back: Rec[] = [];
  // a decoded event is written over by the next of its kind: what is kept is a copy
  for (const c of chunks) r.read(c, (stage, at, host, stream, ev) => back.push({ stage, at, host, stream, ev: structuredClone(ev) }));
  return back;
}

const labLogs = (batch: string): string[] => readdirSync(join(LAB, batch, 'logs')).map((n) => join(LAB, batch, 'logs', n))
  .filter((p) => !p.includes('tai64nlocal') && (statSync(p).isDirectory() || p.endsWith('maillog.gz')));

describe('the channel between the reader thread and the correlators', () => {
  it('every event of the lab logs and of the public excerpts comes out as it went in, in order', async () => {
    const recs = [
      ...await eventsOf([join(LAB, 'volume', 'logs', 'send'), join(LAB, 'volume', 'logs', 'smtpd')]),
      ...await eventsOf(labLogs('b1-scenarios')),
      ...await eventsOf([join(LAB, 'd1-syslog-restart', 'logs', 'maillog.gz')]),
      ...await eventsOf(readdirSync(PUBLIC).filter((n) => n.endsWith('.log')).map((n) => join(PUBLIC, n)), { tz: 'UTC' }),
    ];
    const kinds = new Set(recs.map((r) => `${r.stage}:${(r.ev as { kind: string }).kind}`));
    expect(kinds.size).toBeGreaterThan(30);           // qmail-send's shapes, smtpd's, the add-ons'
    expect(recs.length).toBeGreaterThan(100_000);
    const back = throughChannel(recs);
    expect(back.length).toBe(recs.length);
    for (let i = 0; i < recs.length; i++) if (JSON.stringify(back[i]) !== JSON.stringify(recs[i])) expect(back[i]).toEqual(recs[i]);
    expect(back).toStrictEqual(recs);                 // deep, with what JSON would blur (bigint, a key set to undefined)
  });

  it('a string table and a report table that start afresh every few entries, and chunks too small for two records, change nothing', async () => {
    const recs = (await eventsOf(labLogs('b1-scenarios'))).slice(0, 20_000);
    const reports = new Set(recs.flatMap((r) => ((r.ev as { kind: string }).kind === 'delivery_result' ? [(r.ev as { reportRaw: string }).reportRaw] : [])));
    expect(reports.size).toBeGreaterThan(30);          // each table starts again many times over
    expect(throughChannel(recs, { tableMax: 3, nums: 64, reportsMax: 3 })).toStrictEqual(recs);
  });

  it('an event that is not plain data crosses as a clone: dates, maps, a key named __proto__, -0 and NaN', () => {
    const odd = JSON.parse('{"kind":"x","__proto__":{"a":1}}') as unknown;
    const recs: Rec[] = [
      { stage: 1, at: 1, host: 'h', stream: 's', ev: { kind: 'x', when: new Date(5), seen: new Map([['a', 1]]), n: -0, m: NaN, o: undefined } },
      { stage: 1, at: 2, host: 'h', stream: 's', ev: odd },
      { stage: 1, at: 3, host: 'h', stream: 's', ev: { kind: 'y', list: [1, 'two', null, [true, false], { deep: 'x'.repeat(100) }] } },
    ];
    const back = throughChannel(recs);
    expect(back).toStrictEqual(recs);
    expect(Object.getPrototypeOf(back[1]!.ev)).toBe(Object.prototype);
    expect(Object.is((back[0]!.ev as { n: number }).n, -0)).toBe(true);
  });

  it('message ids beyond 2^53 cross exactly', () => {
    const big = 2n ** 63n + 5n;
    const recs: Rec[] = [{ stage: 0, at: 1, host: 'h', stream: 'send', ev: { kind: 'new_msg', msg: big } },
      { stage: 0, at: 2, host: 'h', stream: 'send', ev: { kind: 'end_msg', msg: Number.MAX_SAFE_INTEGER } }];
    expect(throughChannel(recs)).toEqual(recs);
  });
});

describe('a load read on the reader thread', () => {
  const cases: Array<[string, string[], { tz?: string }]> = [
    ['volume (send, smtpd, smtpdr; gzipped multilog)', ['send', 'smtpd', 'smtpdr'].map((d) => join(LAB, 'volume', 'logs', d)), {}],
    ['b1 (bounces, forwards, sessions)', labLogs('b1-scenarios'), {}],
    ['d1 (syslog, qmail-send restarts)', [join(LAB, 'd1-syslog-restart', 'logs', 'maillog.gz')], {}],
    ['the public excerpts (add-ons, Plesk, vpopmail)', readdirSync(PUBLIC).filter((n) => n.endsWith('.log')).map((n) => join(PUBLIC, n)), { tz: 'UTC' }],
    ['the samples', ['send', 'smtpd', 'smtpdr'].map((d) => join(REPO, 'samples', d)), {}],
  ];
  for (const [name, paths, o] of cases) {
    it(`gives the store one thread gives: ${name}`, async () => {
      const a = tempDb();
      const ra = await ingestPaths(a.db, paths, { reader: 'inline', ...o });
      const b = tempDb();
      const rb = await ingestPaths(b.db, paths, { reader: 'thread', ...o });
      expect(rb).toEqual(ra);
      expect(viewDiff(storeView(b.db), storeView(a.db))).toBe('');
      // Session links by the keys a user sees: row ids follow the order the commits wrote sessions
      // in, and commits fall by wall time as well as by lines.
      const links = `SELECT s.key, ${keySql('m')} AS message, l.data_index, l.qp, l.link
        FROM session_links l JOIN sessions s ON s.id = l.session_id JOIN messages m ON m.id = l.message_id`;
      for (const t of ['notices', 'unknown_lines', 'positions', 'auth_events', 'handler_lines', 'refusals', 'scan_verdicts', `(${links})`]) {
        const q = `SELECT * FROM ${t} ORDER BY 1, 2, 3`;
        const strip = (rows: unknown[]): unknown[] => rows.map((r) => ({ ...(r as object), updated_at: undefined }));
        expect(strip(b.db.prepare(q).all()), t).toEqual(strip(a.db.prepare(q).all()));
      }
      a.db.close(); b.db.close();
    });
  }

  it('stopped after a few commits and run again, it leaves the store a clean run leaves', async () => {
    const paths = ['send', 'smtpd', 'smtpdr'].map((d) => join(LAB, 'volume', 'logs', d));
    const clean = tempDb();
    await ingestPaths(clean.db, paths, { reader: 'inline' });
    const { db } = tempDb();
    const stop = new AbortController();
    let commits = 0;
    const first = await ingestPaths(db, paths, { reader: 'thread', commitLines: 5_000, signal: stop.signal,
      observer: { onCommit: () => { if (++commits === 3) stop.abort(); } } });
    expect(first.lines).toBeLessThan(230_204);
    expect(first.lines).toBeGreaterThan(0);
    const second = await ingestPaths(db, paths, { reader: 'thread' });
    expect(second.resumedFiles + second.skippedFiles).toBeGreaterThan(0);
    expect(viewDiff(storeView(db), storeView(clean.db))).toBe('');
    db.close(); clean.db.close();
  });
});

describe('QTRACE_READER', () => {
  it('anything but thread or inline is one clear line and exit 2', () => {
    const d = tempDb();
    d.db.close();
    const r = qtrace(['ingest', '--db', d.path, join(REPO, 'samples', 'send')], { env: { QTRACE_READER: 'two' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('qtrace: QTRACE_READER must be thread or inline, not "two"\n');
  });
});
