// Bytes → lines at the edges: chunk boundaries, CRLF, multi-byte characters split across chunks,
// no final newline, over-long lines; and the merge of several sources by time.

import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { InputFile } from '../../src/ingest/inputs.js';
import { lineBatches, MAX_LINE, openInput } from '../../src/ingest/lines.js';
import { JITTER_US, StreamMarks } from '../../src/ingest/marks.js';
import { mergeByTime } from '../../src/ingest/merge.js';
import { frameLine } from '../../parsers/line.js';
import { UTC_ZONE } from '../../parsers/timestamp.js';

const STDIN: InputFile = { path: '-', stream: 'stdin', gz: false, size: 0, mtime: new Date(0), identity: '', syslogHost: undefined, tai64n: false };

async function linesOf(chunks: Array<string | Buffer>): Promise<string[]> {
  const input = new PassThrough();
  const out: string[] = [];
  const reading = (async () => { for await (const b of lineBatches(openInput(STDIN, input), 'test')) out.push(...b); })();
  for (const c of chunks) { input.write(c); await new Promise((r) => setImmediate(r)); }
  input.end();
  await reading;
  return out;
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

  it('an over-long line is skipped, the next one is kept (memory stays bounded)', async () => {
    const chunk = 'x'.repeat(1 << 16); // as a file arrives: 64 KiB at a time
    const chunks = Array.from({ length: Math.ceil(MAX_LINE / chunk.length) + 1 }, () => chunk);
    const lines = await linesOf([...chunks, '\nend msg 1\n']);
    expect(lines).toEqual(['end msg 1']);
  });

  it('merge by time: sources interleave by stamp, each keeps its own order, untimed lines go at once', async () => {
    async function* src(items: Array<number | null>, tag: string) { yield items.map((at, i) => ({ at, id: `${tag}${i}` })); }
    const out: string[] = [];
    for await (const b of mergeByTime([src([1, 5, 9], 'a'), src([2, null, 3, 10], 'b')])) out.push(...b.map((x) => x.id));
    expect(out).toEqual(['a0', 'b0', 'b1', 'b2', 'a1', 'a2', 'b3']);
  });
});

describe('stream marks', () => {
  const status = 'status: local 1/10 remote 0/20';
  it('older lines, and the same text within the jitter from another input, are seen; own repeats are not', () => {
    const m = new StreamMarks();
    const t = 1_000_000_000;
    expect(m.seen('send@vm', t, status, 0)).toBe(false);
    expect(m.seen('send@vm', t, status, 0)).toBe(false);            // multilog repeated it
    expect(m.seen('send@vm', t + 2_000, status, 1)).toBe(true);     // a second copy, 2 ms off
    expect(m.seen('send@vm', t - JITTER_US - 1, 'new msg 5', 0)).toBe(true); // before the mark
    expect(m.seen('send@vm', t - 10, 'new msg 5', 1)).toBe(false);  // a line not seen yet, just before
    expect(m.seen('smtpd@vm', t - JITTER_US - 1, 'tcpserver: status: 0/20', 0)).toBe(false); // streams are apart
    const next = new StreamMarks(JSON.parse(JSON.stringify(m.toJSON())));             // the next run
    expect(next.seen('send@vm', t, status, 0)).toBe(true);
    expect(next.seen('send@vm', t, 'end msg 5', 0)).toBe(false);
    expect(next.seen('send@vm', t + 1, 'new msg 6', 0)).toBe(false);
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
