// Parsing never throws, whatever the bytes: random input in, a value out.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { parseFrame, splitGlued } from '../../parsers/frame.js';
import { parseSendText } from '../../parsers/qmail-send.js';
import { parseReport } from '../../parsers/report.js';
import { UTC_ZONE } from '../../parsers/timestamp.js';

const ctx = { zone: UTC_ZONE, yearFor: () => 2026 };
const prefixes = ['@400000006b072330194c5b44 ', 'Nov 25 18:05:56 vm qmail: 1795629956.275599 ', '<22>1 2026-11-25T18:05:56.275607+00:00 vm qmail - - -  ',
  '2026-11-25 19:04:22.424434500 ', '2026-11-25T18:05:56.275607+00:00 vm smtpd: ', '1795629956.275599+', 'new msg ', 'delivery 1: failure: ', 'info msg 1: bytes '];

describe('robustness', () => {
  it('random strings and binary through every parser', () => {
    const line = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }),
      fc.tuple(fc.constantFrom(...prefixes), fc.string({ unit: 'binary', maxLength: 200 })).map(([p, s]) => p + s));
    fc.assert(fc.property(line, (l) => {
      const f = parseFrame(l, ctx);
      parseSendText(f.text);
      parseReport(f.text);
      splitGlued(l);
    }), { numRuns: 5000 });
  });
});
