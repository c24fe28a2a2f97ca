// The add-on parsers never throw: random text, random bytes, and real shapes cut and padded.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recogniseNotQmail } from '../../../parsers/not-qmail.js';
import { parsePlesk, PLESK_FORMATS } from '../../../parsers/plesk.js';
import { parseQmailScanner, parseScannerTag, QMAIL_SCANNER_FORMATS } from '../../../parsers/qmail-scanner.js';
import { parseVchkpw, VCHKPW_FORMATS } from '../../../parsers/vchkpw.js';

const samples = [
  ...VCHKPW_FORMATS.flatMap((f) => f.samples), ...PLESK_FORMATS.flatMap((f) => f.format.samples),
  ...QMAIL_SCANNER_FORMATS.flatMap((f) => f.samples),
];
const tags = [undefined, 'vpopmail', 'qmail-queue-handlers', 'qmail-local-handlers', 'greylisting filter', 'spf',
  'dovecot', 'postfix/smtpd', '/usr/lib64/plesk-9.0/psa-pc-remote', ''];

function total(text: string, tag?: string): boolean {
  parseVchkpw(text);
  parsePlesk(text, tag, 1);
  parsePlesk(text);
  parseQmailScanner(text);
  parseScannerTag(text);
  const r = recogniseNotQmail(tag, text);
  return r === undefined || typeof r.program === 'string';
}

describe('add-on parsers: no exception on any input', () => {
  it('random strings under any tag', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.constantFrom(...tags), (s, t) => total(s, t)),
      { numRuns: 3000 });
  });

  it('random bytes, decoded as UTF-8 and as latin1', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      const b = Buffer.from(bytes);
      return total(b.toString('utf8')) && total(b.toString('latin1'));
    }), { numRuns: 2000 });
  });

  it('real shapes with random prefixes, suffixes and cuts', () => {
    expect(samples.length).toBeGreaterThan(40);
    fc.assert(fc.property(fc.constantFrom(...samples), fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }),
      fc.nat(), fc.constantFrom(...tags), (s, pre, post, cut, t) =>
        total(pre + s + post, t) && total(s.slice(0, cut % (s.length + 1)), t) && total(s + post, t)),
    { numRuns: 3000 });
  });

  it('shape-ish heads', () => {
    const head = fc.constantFrom('vchkpw-', 'vchkpw-pop3: ', 'vpopmail[1]: vchkpw-smtp: password fail (pass: \'',
      'greylisting filter[', 'qmail-queue-handlers[', 'Clear:RC:', 'CLAMDSCAN:', 'qmail-scanner[', 'last message repeated ');
    fc.assert(fc.property(head, fc.string({ maxLength: 200 }), (h, rest) => total(h + rest)), { numRuns: 4000 });
  });
});
