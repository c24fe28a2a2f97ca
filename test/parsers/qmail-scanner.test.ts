// qmail-scanner: the verdict tag's grammar on real X-Qmail-Scanner headers, and the log line's
// fields (samples from the shape as documented in parsers/qmail-scanner.ts, provenance 'source').

import { describe, expect, it } from 'vitest';
import { parseQmailScanner, parseScannerTag, QMAIL_SCANNER_FORMATS } from '../../parsers/qmail-scanner.js';
import { publicText } from '../helpers/lab.js';
import { takers } from './addons/shapes.js';

describe('QMAIL_SCANNER_FORMATS', () => {
  for (const f of QMAIL_SCANNER_FORMATS) {
    it(`${f.name}: anchored, its samples taken by it alone`, () => {
      expect(f.pattern.source.startsWith('^') && f.pattern.source.endsWith('$')).toBe(true);
      expect(f.samples.length).toBeGreaterThan(0);
      for (const s of f.samples) {
        expect(takers(s), s).toEqual([f.name]);
        expect(parseQmailScanner(s)?.kind, s).toBe('scan');
      }
    });
  }
});

describe('verdict tags of real headers', () => {
  const tags = publicText('qmail-scanner-headers-tags.txt').split('\n').filter((l) => l !== '')
    .map((l) => /((?:Clear|CLEAN):\S*:)\./.exec(l)?.[1]);

  it('every header holds a tag and every tag parses', () => {
    expect(tags.length).toBe(7);
    for (const t of tags) expect(parseScannerTag(t ?? ''), t).toBeDefined();
  });

  it('RC gives the relay-client flag and IP, SA the spam flag and score/required', () => {
    expect(parseScannerTag('Clear:RC:1(217.186.137.237):SA:0(-4.4/5.0):')).toEqual({
      word: 'Clear', reason: null, verdict: 'clear',
      components: [{ name: 'RC', value: 1, detail: '217.186.137.237' }, { name: 'SA', value: 0, detail: '-4.4/5.0' }],
      relayClient: true, ip: '217.186.137.237', spam: false, score: -4.4, required: 5,
    });
    expect(parseScannerTag('Clear:RC:1:')).toMatchObject({ relayClient: true, ip: null, spam: null, verdict: 'clear' });
    expect(parseScannerTag('Clear:RC:0(172.16.1.1):SA:0(-102.5/5.0):')).toMatchObject({ relayClient: false, score: -102.5 });
  });

  it('a flagged SA makes a spam verdict; a scanner name a virus; anything else a policy', () => {
    expect(parseScannerTag('Clear:RC:0(198.51.100.9):SA:1(9.8/5.0):')?.verdict).toBe('spam');
    expect(parseScannerTag('CLAMDSCAN:Eicar-Test-Signature:')).toMatchObject({ verdict: 'virus', reason: 'Eicar-Test-Signature' });
    expect(parseScannerTag('Perlscan:Disallowed_attachment_type:')).toMatchObject({ verdict: 'policy' });
    expect(parseScannerTag('Clear:RC:1(1.2.3.4)')).toBeUndefined();
    expect(parseScannerTag('Clear:RC:x:')).toBeUndefined();
  });
});

describe('log line fields', () => {
  it('tag, elapsed, bytes, sender, recipients, subject, message-id', () => {
    expect(parseQmailScanner('Clear:RC:1(192.0.2.7):SA:0(-1.2/5.0): 0.824417 2214 alice@example.org bob@example.net Hello_Bob <20260101120000.1234@example.org> 1767268800.12345'))
      .toMatchObject({
        kind: 'scan', verdict: 'clear', tag: 'Clear:RC:1(192.0.2.7):SA:0(-1.2/5.0):', ip: '192.0.2.7', relayClient: true,
        spam: false, score: -1.2, required: 5, elapsed: 0.824417, bytes: 2214, sender: 'alice@example.org',
        recipients: ['bob@example.net'], subject: 'Hello_Bob', messageId: '<20260101120000.1234@example.org>', pid: null,
      });
  });

  it('several recipients; pid from the tag on the text or from the frame', () => {
    expect(parseQmailScanner('Clear:RC:0(198.51.100.9):SA:1(9.8/5.0): 3.1 15020 spammer@example.com carol@example.net,dave@example.net Buy_now'))
      .toMatchObject({ verdict: 'spam', recipients: ['carol@example.net', 'dave@example.net'], messageId: null, subject: 'Buy_now' });
    expect(parseQmailScanner('qmail-scanner[4711]: Clear:RC:1(192.0.2.7): 0.03 512 alice@example.org bob@example.net')?.pid).toBe(4711);
    expect(parseQmailScanner('Clear:RC:1(192.0.2.7): 0.03 512 a@example.org b@example.net', 99)?.pid).toBe(99);
  });

  it('a virus verdict names the virus', () => {
    expect(parseQmailScanner('CLAMDSCAN:Eicar-Test-Signature: 0.41 1804 alice@example.org root@example.net Qmail-Scanner_viral_test_(3/4):_checking_non-perlscanner_AV... <x@example.org>'))
      .toMatchObject({ verdict: 'virus', reason: 'Eicar-Test-Signature', bytes: 1804, messageId: '<x@example.org>' });
  });

  it('not a scanner line', () => {
    expect(parseQmailScanner('X-Qmail-Scanner: 1.20 (Clear:RC:1(217.186.137.237):SA:0(-4.4/5.0):. Processed in 0.307419 secs)')).toBeUndefined();
    expect(parseQmailScanner('status: local 0/10 remote 0/20')).toBeUndefined();
    expect(parseQmailScanner('Clear:RC:1(192.0.2.7): fast 512 a b')).toBeUndefined();
  });
});
