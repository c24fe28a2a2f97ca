// Bytes → lines at the edges: chunk boundaries, CRLF, multi-byte characters split across chunks,
// no final newline, over-long lines; and the merge of several sources by time.

import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { lineBatches, MAX_LINE, type ReadCounts } from '../../src/ingest/lines.js';
import { Doubles, JITTER_US } from '../../src/ingest/marks.js';
import { mergeByTime } from '../../src/ingest/merge.js';
import { frameLine } from '../../parsers/line.js';
import { UTC_ZONE } from '../../parsers/timestamp.js';

async function read(chunks: Array<string | Buffer>, final = true): Promise<{ lines: string[]; ends: number[]; counts: ReadCounts }> {
  const input = new PassThrough();
  const lines: string[] = [];
  const ends: number[] = [];
  const counts: ReadCounts = { cut: 0, cutBytes: 0, partial: 0 };
  const reading = (async () => {
    for await (const b of lineBatches(input, { label: 'test', base: 0, final, counts })) { lines.push(...b.lines); ends.push(...b.ends); }
  })();
  for (const c of chunks) { input.write(c); await new Promise((r) => setImmediate(r)); }
  input.end();
  await reading;
  return { lines, ends, counts };
}

async function linesOf(chunks: Array<string | Buffer>): Promise<string[]> {
  return (await read(chunks)).lines;
}

describe('lines', () => {
  it('a line split across chunks, and the last line without a newline', async () => {
    expect(await linesOf(['@400000006b071fc307d05bcc new ms', 'g 1442657\n@400000006b071fc307d05bcc end', ' msg 1442657']))
      .toEqual(['@400000006b071fc307d05bcc new msg 1442657', '@400000006b071fc307d05bcc end msg 1442657']);
  });

  it('UTF-8 split inside a character stays whole; CRLF lines frame without their CR', async () => {
    const b = Buffer.from('9186 < MAIL FROM:<jörg@r2.remote.test>\r\n');
    const cut = b.indexOf(0xc3) + 1;
    const lines = await linesOf([b.subarray(0, cut), b.subarray(cut)]);
    expect(lines).toEqual(['9186 < MAIL FROM:<jörg@r2.remote.test>\r']);
    expect(frameLine('@400000006b071fc307d05bcc status: exiting\r', { zone: UTC_ZONE, yearFor: () => 2026 }).text).toBe('status: exiting');
  });

  it('an over-long line is kept cut and counted, the next one is whole (memory stays bounded)', async () => {
    const chunk = 'x'.repeat(1 << 16); // as a file arrives: 64 KiB at a time
    const chunks = Array.from({ length: 800 }, () => chunk); // a 50 MB line
    const r = await read([...chunks, '\nend msg 1\n']);
    expect(r.lines.length).toBe(2);
    expect(r.lines[0]!.length).toBe(MAX_LINE);
    expect(r.lines[1]).toBe('end msg 1');
    expect(r.counts).toEqual({ cut: 1, cutBytes: 800 * chunk.length - MAX_LINE, partial: 0 });
    expect(r.ends).toEqual([800 * chunk.length + 1, 800 * chunk.length + 11]);
  });

  it('offsets are bytes after each newline; a last line without one waits when the file may grow', async () => {
    const r = await read(['ab\nçd\n', 'half'], false);
    expect(r.lines).toEqual(['ab', 'çd']);
    expect(r.ends).toEqual([3, 7]);
    expect(r.counts.partial).toBe(1);
    expect((await read(['ab\nhalf'], true)).lines).toEqual(['ab', 'half']);
  });

  it('bytes that are not UTF-8 are kept exactly', async () => {
    const { toBytes } = await import('../../src/text/escape.js');
    const raw = Buffer.from([0x48, 0xff, 0xfe, 0x49, 0x0a]);
    const r = await read([raw]);
    expect(toBytes(r.lines[0]!).equals(raw.subarray(0, 4))).toBe(true);
  });

  it('merge by time: sources interleave by stamp, each keeps its own order, untimed lines go at once', async () => {
    async function* src(items: Array<number | null>, tag: string) { yield items.map((at, i) => ({ at, id: `${tag}${i}` })); }
    const out: string[] = [];
    for await (const b of mergeByTime([src([1, 5, 9], 'a'), src([2, null, 3, 10], 'b')])) out.push(...b.map((x) => x.id));
    expect(out).toEqual(['a0', 'b0', 'b1', 'b2', 'a1', 'a2', 'b3']);
  });
});

describe('lines logged twice', () => {
  const status = 'status: local 1/10 remote 0/20';
  it('the same text within the jitter from another input is taken once; own repeats and older times are kept', () => {
    const m = new Doubles();
    const t = 1_000_000_000;
    expect(m.seen('send@vm', t, status, 'multilog', false)).toBe(false);
    expect(m.seen('send@vm', t, status, 'multilog', false)).toBe(false);            // multilog repeated it
    expect(m.seen('send@vm', t + 2_000, status, 'rfc3164', false)).toBe(true);     // a second copy, 2 ms off
    expect(m.seen('send@vm', t - JITTER_US - 1, 'new msg 5', 'multilog', false)).toBe(false); // older, never seen: new
    expect(m.seen('send@vm', t + JITTER_US + 10, status, 'rfc3164', false)).toBe(false); // beyond the jitter: new
    expect(m.seen('smtpd@vm', t, status, 'rfc3164', false)).toBe(false);           // streams are apart
    const saved = JSON.stringify(m.toJSON());                              // the next run
    expect(new Doubles(JSON.parse(saved)).seen('send@vm', t + 3_000, status, 'multilog', false)).toBe(false); // a file: its offset decides
    expect(new Doubles(JSON.parse(saved)).seen('send@vm', t + 3_000, status, 'multilog', true)).toBe(true);   // a restarted pipe: taken once
  });

  it('a stream logged twice (multilog dir and splogger copy of smtpd, d1) gives the sessions of one copy', async () => {
    const { tempDb, ingestPaths, LAB } = await import('../helpers/lab.js');
    const logs = `${LAB}/d1-syslog-restart/logs`;
    const count = async (paths: string[]) => {
      const { db } = tempDb();
      const r = await ingestPaths(db, paths);
      const n = db.prepare("SELECT verdict, count(*) AS n FROM sessions GROUP BY 1 ORDER BY 1").all();
      db.close();
      return { r, n };
    };
    const one = await count([`${logs}/maillog.gz`]);
    const both = await count([`${logs}/maillog.gz`, `${logs}/smtpd`, `${logs}/smtpdr`]);
    expect(both.n).toEqual(one.n);
    expect(both.r.links).toEqual(one.r.links);
    expect(both.r.duplicates).toBeGreaterThanOrEqual(1650); // of the 1,659 smtpd lines logged twice
  });
});
