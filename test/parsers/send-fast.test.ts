// The cursor reader of qmail-send's common shapes must say exactly what the formats say, or
// nothing: checked on every qmail-send line of the lab and on random variations of them.
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFrame } from '../../parsers/frame.js';
import { fastSend } from '../../parsers/qmail-send-fast.js';
import { parseSendText, parseSendTextByFormats, SEND_FORMATS } from '../../parsers/qmail-send.js';
import { UTC_ZONE } from '../../parsers/timestamp.js';
import { LAB, labText } from '../helpers/lab.js';

const ctx = { zone: UTC_ZONE, yearFor: () => 2026 };
/** What parseSendText hands fastSend: the text without the padding some writers add. */
const padless = (t: string): string => (t.charCodeAt(t.length - 1) === 32 ? t.trimEnd() : t);

function sendTexts(): string[] {
  const out: string[] = [];
  for (const batch of readdirSync(LAB)) {
    let files: string[];
    try { files = readdirSync(join(LAB, batch, 'logs', 'send')); } catch { continue; }
    for (const f of files) {
      for (const line of labText(join(batch, 'logs', 'send', f)).split('\n')) {
        if (line !== '') out.push(parseFrame(line, ctx).text);
      }
    }
  }
  return out;
}

describe('fastSend', () => {
  const texts = sendTexts();

  it('agrees with the formats on every lab qmail-send line, and reads nearly all of them', () => {
    expect(texts.length).toBeGreaterThan(10_000);
    let read = 0;
    for (const t of texts) {
      const fast = fastSend(padless(t));
      if (fast === undefined) continue;
      read++;
      expect(fast).toEqual(parseSendTextByFormats(t));
    }
    expect(read / texts.length).toBeGreaterThan(0.9);
  });

  it('agrees with the formats on every sample of every format', () => {
    for (const f of SEND_FORMATS) {
      for (const s of f.samples) {
        const fast = fastSend(padless(s));
        if (fast !== undefined) expect(fast).toEqual(parseSendTextByFormats(s));
        expect(parseSendText(s)).toEqual(parseSendTextByFormats(s));
      }
    }
  });

  it('agrees with the formats on variations of real lines (cut, spliced, odd bytes, queue suffixes)', () => {
    const sample = texts.filter((_, i) => i % 97 === 0).slice(0, 300);
    const junk = fc.oneof(fc.constantFrom(' queue5', '\r', '\u2028', '.3', ' ', '>', '> qp 7', ':', '0', '12345678901234567890', ' exitasap'),
      fc.string({ maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 4 }));
    const variant = fc.tuple(fc.constantFrom(...sample), fc.nat(200), fc.nat(200), junk).map(([t, a, b, j]) => {
      const i = a % (t.length + 1);
      const k = Math.min(t.length, i + (b % 3));
      return t.slice(0, i) + j + t.slice(k);
    });
    fc.assert(fc.property(variant, (t) => {
      const fast = fastSend(padless(t));
      if (fast !== undefined) expect(fast).toEqual(parseSendTextByFormats(t));
      expect(parseSendText(t)).toEqual(parseSendTextByFormats(t));
    }), { numRuns: 5000 });
  });
});
