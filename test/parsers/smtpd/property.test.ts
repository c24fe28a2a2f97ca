// Parsers never throw: random strings, random bytes decoded either way, and mutations of real lines.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SMTPD_FORMATS, parseSmtpdText } from '../../../parsers/smtpd.js';
import { parseSmtpCommand, parseSmtpReply, smtpAddress } from '../../../parsers/recordio.js';

const samples = SMTPD_FORMATS.flatMap((f) => [...f.samples, ...(f.sourceSamples ?? [])]);

function total(text: string): boolean {
  const ev = parseSmtpdText(text);
  parseSmtpReply(text);
  parseSmtpCommand(text);
  smtpAddress(text);
  return ev === undefined || typeof ev.kind === 'string';
}

describe('no exception on any input', () => {
  it('random unicode strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), total), { numRuns: 3000 });
  });

  it('random bytes, decoded as UTF-8 and as latin1', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      const b = Buffer.from(bytes);
      return total(b.toString('utf8')) && total(b.toString('latin1'));
    }), { numRuns: 3000 });
  });

  it('real shapes with random prefixes, suffixes and cuts', () => {
    fc.assert(fc.property(fc.constantFrom(...samples), fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }),
      fc.nat(), (s, pre, post, cut) => total(pre + s + post) && total(s.slice(0, cut % (s.length + 1))) && total(s + post)),
    { numRuns: 3000 });
  });

  it('shape-ish noise around the dispatch characters', () => {
    const head = fc.constantFrom('tcpserver: ', 'rblsmtpd: ', '123 < ', '123 > ', 'CHKUSER ', 'simscan:[', 'spamdyke[',
      'qmail-smtpd: pid ', 'qmail-smtpd[', 'qlogenvelope: result=', 'DENIED_X from: ', '250 ok 1 qp ',
      'rblsmtpd:  pid 1 from ', 'zen.example blocked ', 'qmail-smtpd: pid 1 from 1.2.3.4 ', 'qmail-smtpd: !ok 1 ',
      'mail recv: pid ', 'policy_check: local ', 'qmail-local: pid 1 MAIL from <', 'tcpserver: status: 1/2');
    fc.assert(fc.property(head, fc.string({ maxLength: 120 }), (h, rest) => total(h + rest)), { numRuns: 5000 });
  });

  it('a pathological long line finishes quickly', () => {
    const long = `qmail-smtpd: pid 1 Accept::RCPT::X P:E S:${'1:'.repeat(5000)}h H:${'x'.repeat(5000)}`;
    const t0 = performance.now();
    for (const s of [long, `${'9'.repeat(20)} < ${' '.repeat(20000)}`, `CHKUSER ${'a'.repeat(20000)}`,
      `simscan:[1]:${':'.repeat(20000)}`, `tcpserver: ok 1 ${':'.repeat(20000)} ${':'.repeat(20000)}`,
      `qmail-smtpd: pid 1 from 1.2.3.4 ${'x (permanent): '.repeat(2000)}`, `a.b blocked ${' blocked'.repeat(5000)}`,
      `qmail-smtpd: pid 1 Reject::RBL::X: ${'a '.repeat(10000)}P`, `rblsmtpd: 1 pid 2 ${'x'.repeat(20000)}`]) total(s);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
