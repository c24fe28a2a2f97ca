import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFrame, splitGlued, type FrameContext } from '../../parsers/frame.js';
import { decodeTai64n, encodeTai64n, isoFromMicros, UTC_ZONE } from '../../parsers/timestamp.js';
import { yearGuesser, zoneResolver } from '../../src/ingest/zone.js';
import { LAB, PUBLIC, labText } from '../helpers/lab.js';

const ctx: FrameContext = { zone: UTC_ZONE, yearFor: () => 2026 };

describe('timestamps', () => {
  it('TAI64N: the formats.md check value and nanoseconds', () => {
    const s = decodeTai64n('400000003e382910351ebf4c')!;
    expect(Math.floor(s.us / 1e6)).toBe(1043867910); // 2003-01-29 19:18:30 UTC
    expect(s.ns).toBe(0x351ebf4c);
    expect(decodeTai64n(encodeTai64n(s.us, s.ns))).toEqual(s);
    expect(decodeTai64n('zz0000003e382910351ebf4c')).toBeUndefined();
  });
  it('ISO output keeps microseconds', () => {
    expect(isoFromMicros(1795628986260657)).toBe('2026-11-25T17:49:46.260657Z');
  });
});

describe('framings', () => {
  it('multilog', () => {
    const f = parseFrame('@400000006b072330194c5b44 status: local 0/10 remote 0/20', ctx);
    expect(f).toMatchObject({ framing: 'multilog', text: 'status: local 0/10 remote 0/20', host: undefined });
    expect(isoFromMicros(f.stamp!.us)).toBe('2026-11-25T18:04:22.424434Z');
  });

  it('tai64nlocal in Europe/Berlin gives the same instants as the TAI64N originals (d2, every line)', () => {
    const orig = readFileSync(join(LAB, 'd2-local-time/logs/send/current'), 'utf8').split('\n').filter(Boolean);
    const local = readFileSync(join(LAB, 'd2-local-time/logs/send.tai64nlocal-Europe-Berlin/current'), 'utf8').split('\n').filter(Boolean);
    const berlin: FrameContext = { zone: zoneResolver('Europe/Berlin'), yearFor: () => 2026 };
    expect(local.length).toBe(orig.length);
    for (let i = 0; i < orig.length; i++) {
      const a = parseFrame(orig[i]!, ctx);
      const b = parseFrame(local[i]!, berlin);
      expect(b.framing).toBe('tai64nlocal');
      expect(b.stamp, local[i]).toEqual(a.stamp);
      expect(b.text).toBe(a.text);
    }
  });

  it('the three rsyslog formats of d1 give the same host, tag, stamp and text on every line', () => {
    const read = (f: string) => labText(`d1-syslog-restart/logs/${f}`).split('\n').filter(Boolean);
    const [a, b, c] = [read('maillog.gz'), read('maillog.rfc3339.gz'), read('maillog.rfc5424.gz')];
    expect(a.length).toBe(3158);
    for (let i = 0; i < a.length; i++) {
      const fa = parseFrame(a[i]!, ctx), fb = parseFrame(b[i]!, ctx), fc = parseFrame(c[i]!, ctx);
      expect([fa.framing, fb.framing, fc.framing]).toEqual(['rfc3164', 'rfc3339', 'rfc5424']);
      for (const f of [fb, fc]) {
        expect(f.host).toBe(fa.host);
        expect(f.tag).toBe(fa.tag);
        expect(f.text).toBe(fa.text);
        expect(f.stamp).toEqual(fa.stamp); // splogger's own stamp wins over the syslog prefix
        expect(f.continued).toBe(fa.continued);
      }
    }
  });

  it('splogger continuation and the syslog stamp when splogger has none', () => {
    const f = parseFrame('Nov 25 18:06:13 vm qmail: 1795629973.187154+xxxx@r2.remote.test> qp 23986 uid 1002', ctx);
    expect(f).toMatchObject({ continued: true, tag: 'qmail', host: 'vm', text: 'xxxx@r2.remote.test> qp 23986 uid 1002' });
    const g = parseFrame('Jun  9 09:12:24 mail tcpserver[123]: status: 1/40', ctx);
    expect(g).toMatchObject({ framing: 'rfc3164', host: 'mail', tag: 'tcpserver', text: 'status: 1/40' });
    expect(isoFromMicros(g.stamp!.us)).toBe('2026-06-09T09:12:24.000000Z');
  });

  it('journald: short-iso with +0100, short-precise with a fraction, tags with [pid]', () => {
    const a = parseFrame('2026-11-25T19:05:56+0100 mail qmail-send[812]: new msg 1442624', ctx);
    expect(a).toMatchObject({ framing: 'rfc3339', host: 'mail', tag: 'qmail-send', text: 'new msg 1442624' });
    expect(isoFromMicros(a.stamp!.us)).toBe('2026-11-25T18:05:56.000000Z');
    const b = parseFrame('Nov 25 18:05:56.275607 mail qmail-send[812]: end msg 1442624', ctx);
    expect(b).toMatchObject({ framing: 'rfc3164', host: 'mail', tag: 'qmail-send', text: 'end msg 1442624' });
    expect(isoFromMicros(b.stamp!.us)).toBe('2026-11-25T18:05:56.275607Z');
  });

  it('a local syslog without a hostname: the tag is not taken for the host', () => {
    const f = parseFrame('Nov 25 18:05:56 qmail: 1795629956.275599 new msg 1442624', ctx);
    expect(f).toMatchObject({ framing: 'rfc3164', host: undefined, tag: 'qmail', text: 'new msg 1442624' });
  });

  it('RFC 3164 years: no future dates, and Dec → Jan rolls over', () => {
    const y = yearGuesser(new Date('2027-01-02T00:00:00Z'));
    expect([y(12), y(12), y(1), y(1)]).toEqual([2026, 2026, 2027, 2027]);
  });

  it('glued lines in the public splogger sample are split', () => {
    const raw = readFileSync(join(PUBLIC, 'denbaguse-blog-splogger-syslog-2010.log'), 'utf8').split('\n')
      .find((l) => l.includes('uid 0') && l.includes('starting delivery'))!;
    const parts = splitGlued(raw)!;
    expect(parts[0]).toMatch(/qp 13750 uid 0$/);
    expect(parseFrame(parts[1], ctx).text.trimEnd()).toBe('starting delivery 1: msg 78833 to local testaja.lg-postmaster@testaja.lg');
  });

  it('no framing: the line is kept whole', () => {
    expect(parseFrame('garbage here', ctx)).toMatchObject({ framing: 'none', stamp: undefined, text: 'garbage here' });
    expect(parseFrame('', ctx).framing).toBe('none');
  });
});
