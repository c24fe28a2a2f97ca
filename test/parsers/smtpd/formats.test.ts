// Formats are data: every declared shape is anchored, has samples, and each sample is accepted by
// its own shape and by no other (lnav's load-time check). A failure names every shape that took it.

import { describe, expect, it } from 'vitest';
import { SMTPD_FORMATS, parseSmtpdText } from '../../../parsers/smtpd.js';
import { parseSendText } from '../../../parsers/qmail-send.js';
import type { SmtpdFormat } from '../../../parsers/smtpd-events.js';

function accepts(f: SmtpdFormat, line: string): boolean {
  const m = f.pattern.exec(line);
  return m !== null && f.build(m.groups ?? {}) !== undefined;
}

describe('SMTPD_FORMATS', () => {
  it('names are unique, patterns anchored, every shape has a sample', () => {
    const names = SMTPD_FORMATS.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    for (const f of SMTPD_FORMATS) {
      expect(f.pattern.source.startsWith('^'), f.name).toBe(true);
      expect(f.pattern.source.endsWith('$'), f.name).toBe(true);
      expect(f.pattern.flags.includes('g') || f.pattern.flags.includes('y'), f.name).toBe(false);
      expect(f.samples.length, f.name).toBeGreaterThan(0);
      if (f.sourceSamples !== undefined) expect(f.provenance, f.name).toBe('real');
    }
  });

  for (const f of SMTPD_FORMATS) {
    it(`${f.name}: samples match this shape and no other (nor qmail-send's), and parse to kind ${f.kind}`, () => {
      for (const s of [...f.samples, ...(f.sourceSamples ?? [])]) {
        const takers = SMTPD_FORMATS.filter((g) => accepts(g, s)).map((g) => g.name);
        expect(takers, JSON.stringify(s)).toEqual([f.name]);
        expect(parseSmtpdText(s)?.kind, JSON.stringify(s)).toBe(f.kind);
        expect(parseSendText(s), JSON.stringify(s)).toBeUndefined();
      }
    });
  }

  it('most shapes carry real samples (lab or public excerpts)', () => {
    const real = SMTPD_FORMATS.filter((f) => f.provenance === 'real').map((f) => f.name);
    expect(real).toEqual(expect.arrayContaining([
      'tcpserver.status', 'tcpserver.pid', 'tcpserver.ok', 'tcpserver.deny', 'tcpserver.end', 'rblsmtpd.block',
      'recordio.eof', 'recordio.in', 'recordio.out', 'chkuser.v2.0', 'simscan.result', 'simscan.debug', 'smtpd.pidlog',
      'rblsmtpd.block.list', 'rblsmtpd.listed', 'indimail.accepted',
    ]));
  });
});
