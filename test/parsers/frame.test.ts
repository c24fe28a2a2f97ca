import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFrame, splitGlued, type Framing, type FrameContext } from '../../parsers/frame.js';
import { decodeTai64n, encodeTai64n, isoFromMicros, UTC_ZONE } from '../../parsers/timestamp.js';
import { yearGuesser, zoneResolver } from '../../src/ingest/zone.js';
import { LAB, PUBLIC, labText, publicText } from '../helpers/lab.js';

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
    expect(isoFromMicros(f.us!)).toBe('2026-11-25T18:04:22.424434Z');
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
      expect(b.us, local[i]).toEqual(a.us);
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
        expect(f.pid).toBe(fa.pid);
        expect(f.text).toBe(fa.text);
        expect(f.us).toEqual(fa.us); // splogger's own stamp wins over the syslog prefix
        expect(f.continued).toBe(fa.continued);
      }
    }
  });

  it('splogger continuation and the syslog stamp when splogger has none', () => {
    const f = parseFrame('Nov 25 18:06:13 vm qmail: 1795629973.187154+xxxx@r2.remote.test> qp 23986 uid 1002', ctx);
    expect(f).toMatchObject({ continued: true, tag: 'qmail', host: 'vm', text: 'xxxx@r2.remote.test> qp 23986 uid 1002' });
    const g = parseFrame('Jun  9 09:12:24 mail tcpserver[123]: status: 1/40', ctx);
    expect(g).toMatchObject({ framing: 'rfc3164', host: 'mail', tag: 'tcpserver', text: 'status: 1/40' });
    expect(isoFromMicros(g.us!)).toBe('2026-06-09T09:12:24.000000Z');
  });

  it('journald: short-iso with +0100, short-precise with a fraction, tags with [pid]', () => {
    const a = parseFrame('2026-11-25T19:05:56+0100 mail qmail-send[812]: new msg 1442624', ctx);
    expect(a).toMatchObject({ framing: 'rfc3339', host: 'mail', tag: 'qmail-send', text: 'new msg 1442624' });
    expect(isoFromMicros(a.us!)).toBe('2026-11-25T18:05:56.000000Z');
    const b = parseFrame('Nov 25 18:05:56.275607 mail qmail-send[812]: end msg 1442624', ctx);
    expect(b).toMatchObject({ framing: 'rfc3164', host: 'mail', tag: 'qmail-send', text: 'end msg 1442624' });
    expect(isoFromMicros(b.us!)).toBe('2026-11-25T18:05:56.275607Z');
  });

  it('RFC 5424: a numeric PROCID is the pid, as [pid] is in RFC 3164', () => {
    // constructed: the reliablepenguin Plesk line as rsyslog's RFC 5424 template writes it
    const f = parseFrame('<22>1 2012-03-16T09:06:42+00:00 cloud1 qmail-queue-handlers 25914 - - handlers_stderr: REJECT', ctx);
    expect(f).toMatchObject({ framing: 'rfc5424', host: 'cloud1', tag: 'qmail-queue-handlers', pid: 25914, text: 'handlers_stderr: REJECT' });
    expect(parseFrame('<22>1 2012-03-16T09:06:42+00:00 cloud1 qmail-queue-handlers x1 - - x', ctx).pid).toBeUndefined();
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
    expect(parseFrame('garbage here', ctx)).toMatchObject({ framing: 'none', us: undefined, text: 'garbage here' });
    expect(parseFrame('', ctx).framing).toBe('none');
  });
});

// Real lines from other people's servers (test/public, see PROVENANCE.md). Times checked by hand:
// `date -u -d @SECONDS`, and TAI64N labels by their hex seconds minus 2^62 + 10.
interface Want { framing: Framing; iso: string; text: string; host?: string; tag?: string; pid?: number }
const PUBLIC_FRAMES: ReadonlyArray<{ file: string; year: number; want: readonly Want[] }> = [
  { file: 'semhoun-daemontools-localtime-patch-2009.log', year: 2009, want: [
    { framing: 'multilog', iso: '2009-08-31T07:06:38.886575Z', text: 'status: local 0/500 remote 4/299' },
    { framing: 'asctime', iso: '2009-12-19T03:02:51.000000Z', text: 'status: local 0/500 remote 0/299' },
  ] },
  { file: 'sagredo-multilog-readable-datetime.log', year: 2024, want: [
    { framing: 'multilog', iso: '2023-06-27T22:19:26.673332Z', text: 'tcpserver: status: 0/200/0' },
    { framing: 'tai64nlocal', iso: '2023-06-28T16:17:26.501272Z', text: 'tcpserver: status: 0/200/0' },
    { framing: 'tai64nlocal', iso: '2024-07-29T10:36:08.811661Z', text: 'fatal: out of memory' },
    { framing: 'tai64nlocal', iso: '2024-07-29T10:36:08.811000Z', text: 'fatal: out of memory' },
  ] },
  { file: 'lire-qmail2dlf-man-2002.log', year: 2002, want: [
    { framing: 'unix', iso: '2001-02-19T12:03:21.511524Z', text: 'info msg 6426: bytes 3537 from <qmail-return-63074-joostvb=mdcc.cx@list.cr.yp.to> qp 21089 uid 70' },
    { framing: 'unix', iso: '2001-04-02T20:43:10.800217Z', text: 'bounce msg 6306 qp 28445' },
    { framing: 'tai64nlocal', iso: '2002-06-16T09:34:57.798038Z', text: 'tcpserver: pid 19385 from 100.61.24.7' },
  ] },
  { file: 'bayour-qmail-send-unix-stamps-2003.log', year: 2003, want: [
    { framing: 'unix', iso: '2003-05-29T06:29:06.123136Z', text: 'new msg 161214' },
    { framing: 'unix', iso: '2003-05-29T06:29:06.123151Z', text: 'info msg 161214: bytes 830 from <turbo@bayour.com> qp 6190 uid 1000' },
    { framing: 'unix', iso: '2003-05-29T06:29:06.123958Z', text: 'starting delivery 119: msg 161214 to remote turbo@tripnet.se' },
    { framing: 'unix', iso: '2003-05-29T06:29:06.123980Z', text: 'status: local 0/10 remote 1/20' },
    { framing: 'unix', iso: '2003-05-29T06:29:06.373645Z', text: 'delivery 119: success: 195.100.21.7_accepted_message./Remote_host_said:_250_OK_id=19LGuQ-0003OJ-00/' },
    { framing: 'unix', iso: '2003-05-29T06:29:06.374171Z', text: 'status: local 0/10 remote 0/20' },
    { framing: 'unix', iso: '2003-05-29T06:29:06.374332Z', text: 'end msg 161214' },
  ] },
  // splogger's own stamp (UTC) wins over the syslog prefix (local, CEST here)
  { file: 'fail2ban-qmail-splogger-rblsmtpd-2006.log', year: 2005, want: [
    { framing: 'rfc3164', iso: '2006-09-06T05:33:33.485077Z', host: 'sd6', tag: 'qmail', text: 'rblsmtpd: 198.51.100.77 pid 19597 sbl-xbl.spamhaus.org: 451 http://www.spamhaus.org/query/bl?ip=198.51.100.77' },
    { framing: 'rfc3164', iso: '2006-09-06T05:18:29.633171Z', host: 'sd6', tag: 'qmail', text: 'qmail-smtpd: 421 badiprbl: ip 198.51.100.54 rbl: example.com' },
    { framing: 'rfc3164', iso: '2005-06-30T15:13:33.000000Z', host: 'ns1', tag: 'rblsmtpd', text: 'relays.ordb.org blocked 193.111.120.47 ordb-test.null.dk -' },
    { framing: 'rfc3164', iso: '2005-06-30T15:13:55.000000Z', host: 'ns1', tag: 'rblsmtpd', text: 'relays.osirusoft.com blocked 192.203.178.107 sbl.crynwr.com -' },
  ] },
  { file: 'ossec-docs-vpopmail-syslog.log', year: 2005, want: [
    { framing: 'rfc3164', iso: '2005-07-05T16:02:13.000000Z', host: 'srv', tag: 'vpopmail', pid: 4160, text: 'vchkpw-pop3: null password given oneone1:121.243.18.134' },
    // `[pid` without its `]`, as published: no tag, the line's text kept whole
    { framing: 'rfc3164', iso: '2005-07-06T10:21:52.000000Z', host: 'srv', text: 'vpopmail[18917: vchkpw-smtp: (CRAM-MD5) login success user@my_domain:1.2.3.4' },
    { framing: 'rfc3164', iso: '2005-07-07T11:23:52.000000Z', host: 'srv', tag: 'vpopmail', pid: 20057, text: 'vchkpw-pop3: (PLAIN) login success user@my_domain:1.2.3.4' },
    // `Jun 9` without the pad blank, as pasted
    { framing: 'rfc3164', iso: '2005-06-09T08:56:30.000000Z', host: 'www', tag: 'vpopmail', pid: 65827, text: "vchkpw-smtp: password fail (pass: '<65825.1118321790@mail.xxx.com>') myuserid@xxx.com:208.210.222.68" },
    { framing: 'rfc3164', iso: '2005-09-14T07:21:42.000000Z', host: 'iron', tag: 'vpopmail', pid: 939, text: 'vchkpw-pop3: password fail user1@xxxx.com:192.168.2.1' },
  ] },
  { file: 'plesk-forum-bare-lf-handlers-2009.log', year: 2009, want: [
    { framing: 'rfc3164', iso: '2009-11-10T16:39:32.000000Z', host: 'sv1', tag: 'qmail-local-handlers', pid: 9962, text: 'mailbox: /var/qmail/mailnames/my-domain.co.uk/meg' },
    { framing: 'rfc3164', iso: '2009-11-10T16:46:44.000000Z', host: 'sv1', tag: 'qmail-queue-handlers', pid: 10036, text: 'possibly qmail-smtpd exited by timeout, reset connection. ^I^I^I^ISee "http://pobox.com/~djb/docs/smtplf.html." for get more information.' },
    { framing: 'rfc3164', iso: '2009-11-10T16:46:49.000000Z', host: 'sv1', tag: 'qmail-queue-handlers', pid: 10041, text: 'possibly qmail-smtpd exited by timeout, reset connection. ^I^I^I^ISee "http://pobox.com/~djb/docs/smtplf.html." for get more information.' },
    // courier's pop3d stamps like splogger: the stamp agrees with the (UTC) syslog prefix
    { framing: 'rfc3164', iso: '2009-11-10T16:46:59.663804Z', host: 'sv1', tag: 'pop3d', text: 'DISCONNECTED, user=meg@my-domain.co.uk, ip=[43.123.841.246], top=0, retr=263787, time=485, rcvd=258, sent=269885, maildir=/var/qmail/mailna$' },
    { framing: 'rfc3164', iso: '2009-11-10T17:27:50.580533Z', host: 'sv1', tag: 'pop3d', text: 'TIMEOUT, user=meg@my-domain.co.uk, ip=[43.123.841.246], top=0, retr=227668, time=666, rcvd=162, sent=232382, maildir=/var/qmail/mailnames/r$' },
  ] },
  { file: 'reliablepenguin-plesk10-greylisting-2012.log', year: 2012, want: [
    { framing: 'rfc3164', iso: '2012-03-16T09:06:42.000000Z', host: 'cloud1', tag: 'qmail-queue-handlers', pid: 25914, text: 'to=test@technicorp.net' },
    { framing: 'rfc3164', iso: '2012-03-16T09:06:42.000000Z', host: 'cloud1', tag: 'greylisting filter', pid: 25916, text: 'Starting greylisting filter...' },
    { framing: 'rfc3164', iso: '2012-03-16T09:06:42.000000Z', host: 'cloud1', tag: 'greylisting filter', pid: 25916, text: 'list type: black, from: db3outboundpool.messaging.microsoft.com, match string: dsl|pool|broadband|hsd' },
    { framing: 'rfc3164', iso: '2012-03-16T09:06:42.000000Z', host: 'cloud1', tag: 'qmail-queue-handlers', pid: 25914, text: 'handlers_stderr: REJECT' },
    { framing: 'rfc3164', iso: '2012-03-16T09:06:42.000000Z', host: 'cloud1', tag: 'qmail-queue-handlers', pid: 25914, text: "REJECT during call 'grey' handler" },
  ] },
];
const FRAMINGS: readonly Framing[] = ['multilog', 'tai64nlocal', 'asctime', 'svlogd', 'unix', 'rfc3164', 'rfc3339', 'rfc5424'];

describe('framings of real servers (test/public)', () => {
  for (const { file, year, want } of PUBLIC_FRAMES) {
    it(`${file}: time to the µs, text, host, tag and pid`, () => {
      const lines = publicText(file).split('\n').filter(Boolean);
      expect(lines.length).toBe(want.length);
      const c: FrameContext = { zone: UTC_ZONE, yearFor: () => year };
      lines.forEach((raw, i) => {
        const w = want[i]!;
        const f = parseFrame(raw, c);
        expect({ framing: f.framing, iso: isoFromMicros(f.us!), text: f.text, host: f.host, tag: f.tag, pid: f.pid }, raw)
          .toEqual({ host: undefined, tag: undefined, pid: undefined, ...w });
      });
    });
    it(`${file}: no other framing takes its lines (each --format in turn)`, () => {
      const c: FrameContext = { zone: UTC_ZONE, yearFor: () => year };
      publicText(file).split('\n').filter(Boolean).forEach((raw, i) => {
        for (const only of FRAMINGS) {
          expect(parseFrame(raw, { ...c, only }).framing, `${only}: ${raw}`).toBe(only === want[i]!.framing ? only : 'none');
        }
      });
    });
  }

  it('asctime is local time: the zone resolver places it (Berlin in December is +01:00)', () => {
    const raw = publicText('semhoun-daemontools-localtime-patch-2009.log').split('\n')[1]!;
    const f = parseFrame(raw, { zone: zoneResolver('Europe/Berlin'), yearFor: () => 2009 });
    expect(f).toMatchObject({ framing: 'asctime', local: true, host: undefined, tag: undefined });
    expect(isoFromMicros(f.us!)).toBe('2009-12-19T02:02:51.000000Z');
  });

  it('asctime: a weekday that disagrees with the date is no asctime stamp', () => {
    // the patch's sample with its weekday changed: asctime(3) cannot print this
    const f = parseFrame('Fri Dec 19 03:02:51 2009  status: local 0/500 remote 0/299', ctx);
    expect(f.framing).toBe('none');
    // asctime pads a one-digit day with a blank
    expect(isoFromMicros(parseFrame('Wed Dec  9 03:02:51 2009  x', ctx).us!)).toBe('2009-12-09T03:02:51.000000Z');
  });

  it("tai64nlocal shape: s6-log's T writes two blanks after the stamp (from s6-log.c; no real sample found)", () => {
    const f = parseFrame('2023-06-28 16:17:26.501272173  tcpserver: status: 0/200/0', ctx);
    expect([f.framing, isoFromMicros(f.us!), f.text]).toEqual(['tai64nlocal', '2023-06-28T16:17:26.501272Z', 'tcpserver: status: 0/200/0']);
  });

  it('svlogd -tt / -ttt: UTC, `_` or `T`, nine digits (from runit fmt_ptime.c and busybox svlogd.c; no real sample found)', () => {
    // constructed: the sagredo line's text under the two svlogd stamps (busybox pads µs with 000)
    for (const raw of ['2023-06-28_16:17:26.501272000 tcpserver: status: 0/200/0', '2023-06-28T16:17:26.501272000 tcpserver: status: 0/200/0']) {
      const f = parseFrame(raw, { zone: zoneResolver('Europe/Berlin'), yearFor: () => 2023 });
      expect([f.framing, isoFromMicros(f.us!), f.text, f.local]).toEqual(['svlogd', '2023-06-28T16:17:26.501272Z', 'tcpserver: status: 0/200/0', false]);
      for (const only of FRAMINGS) expect(parseFrame(raw, { ...ctx, only }).framing, only).toBe(only === 'svlogd' ? 'svlogd' : 'none');
    }
    // an RFC 3339 stamp with nine digits still has its zone where svlogd has its blank
    expect(parseFrame('2026-11-25T19:05:56.123456789+01:00 mail qmail-send[812]: new msg 1442624', ctx).framing).toBe('rfc3339');
  });

  it('tai64nlocal shape: 1 to 9 fraction digits or none (no producer of 6 or 0 digits was found)', () => {
    // constructed from the sagredo sample: only the fraction differs
    for (const [frac, iso] of [['.501272', '.501272'], ['', '.000000'], ['.5', '.500000']] as const) {
      const f = parseFrame(`2023-06-28 16:17:26${frac} tcpserver: status: 0/200/0`, ctx);
      expect([f.framing, isoFromMicros(f.us!), f.text]).toEqual(['tai64nlocal', `2023-06-28T16:17:26${iso}Z`, 'tcpserver: status: 0/200/0']);
    }
  });
});
