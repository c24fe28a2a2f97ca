// Every line of the lab's smtpd and smtpdr logs must parse to an event: multilog copies (TAI64N
// label stripped) and the syslog copies in d1's maillog (prefix and splogger stamp stripped, CR as '?').

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSmtpdText } from '../../../parsers/smtpd.js';
import type { SmtpdEvent, SmtpdEventKind } from '../../../parsers/smtpd-events.js';
import { LAB, labText } from '../../helpers/lab.js';

const labFile = labText;

/** Lines of a multilog file with the 25-character `@tai64n` label and its space removed. */
function multilogTexts(rel: string): string[] {
  const lines = labFile(rel).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.slice(26));
}

/** smtpd/smtpdr lines of an RFC 3164 maillog: `Mmm dd HH:MM:SS host tag: UNIX.USEC TEXT`. */
const SYSLOG = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ (?<tag>smtpdr?): \d+\.\d{6}(?<sep>[ +])(?<text>.*)$/s;
function syslogTexts(rel: string): string[] {
  const out: string[] = [];
  for (const l of labFile(rel).split('\n')) {
    const m = SYSLOG.exec(l);
    if (m?.groups !== undefined && m.groups['sep'] === ' ') out.push(m.groups['text'] ?? '');
  }
  return out;
}

function census(texts: readonly string[]): { unknown: string[]; kinds: Map<SmtpdEventKind, number>; events: SmtpdEvent[] } {
  const unknown: string[] = [];
  const kinds = new Map<SmtpdEventKind, number>();
  const events: SmtpdEvent[] = [];
  for (const t of texts) {
    const ev = parseSmtpdText(t);
    if (ev === undefined) { unknown.push(t); continue; }
    events.push(ev);
    kinds.set(ev.kind, (kinds.get(ev.kind) ?? 0) + 1);
  }
  return { unknown, kinds, events };
}

function multilogDir(dir: string): string[] {
  const names = readdirSync(join(LAB, dir)).filter((n) => n.startsWith('@') || n.startsWith('current')).sort();
  return names.flatMap((n) => multilogTexts(`${dir}/${n}`));
}

describe('lab smtpd logs parse completely', () => {
  it('b1 smtpd (plain tcpserver + rblsmtpd): 128 lines, 0 undefined', () => {
    const texts = multilogTexts('b1-scenarios/logs/smtpd/current');
    expect(texts).toHaveLength(128);
    const c = census(texts);
    expect(c.unknown).toEqual([]);
    expect(c.kinds.get('tcp_ok')).toBe(24);
    expect(c.kinds.get('tcp_deny')).toBe(1);
    expect(c.kinds.get('tcp_end')).toBe(25);
    expect(c.kinds.get('rbl')).toBe(2);
  });

  it('b1 smtpdr (recordio): 702 lines, 0 undefined', () => {
    const texts = multilogTexts('b1-scenarios/logs/smtpdr/current');
    expect(texts).toHaveLength(702);
    const c = census(texts);
    expect(c.unknown).toEqual([]);
    expect(c.kinds.get('tcp_pid')).toBe(c.kinds.get('tcp_end'));
    const partial = c.events.filter((e) => (e.kind === 'rec_in' || e.kind === 'rec_out') && e.partial);
    expect(partial.length).toBeGreaterThan(5);
    const qps = c.events.flatMap((e) => (e.kind === 'rec_out' && e.text.startsWith('250 ok ') ? [e.text] : []));
    expect(qps).toContain('250 ok 1795628986 qp 9188');
  });

  it('d1 maillog smtpd/smtpdr syslog copies (216 + 1,443 lines), 0 undefined', () => {
    const texts = syslogTexts('d1-syslog-restart/logs/maillog.gz');
    expect(texts).toHaveLength(216 + 1443);
    const c = census(texts);
    expect(c.unknown).toEqual([]);
    const recs = c.events.filter((e) => e.kind === 'rec_in' || e.kind === 'rec_out');
    // in syslog the CR arrives as '?': every complete dialogue line had one
    const complete = recs.filter((e) => (e.kind === 'rec_in' || e.kind === 'rec_out') && !e.partial && e.text !== '');
    expect(complete.every((e) => (e.kind === 'rec_in' || e.kind === 'rec_out') && e.cr === '?')).toBe(true);
    expect(recs.filter((e) => (e.kind === 'rec_in' || e.kind === 'rec_out') && e.partial)).toHaveLength(10);
  });

  it('d1, d2 multilog smtpd/smtpdr dirs, 0 undefined', () => {
    for (const dir of ['d1-syslog-restart/logs/smtpd', 'd1-syslog-restart/logs/smtpdr', 'd2-local-time/logs/smtpd',
      'd2-local-time/logs/smtpdr']) {
      const texts = multilogDir(dir);
      expect(texts.length).toBeGreaterThan(0);
      expect(census(texts).unknown).toEqual([]);
    }
  });

  it('volume smtpd/smtpdr (gzipped multilog), 0 undefined', () => {
    for (const dir of ['volume/logs/smtpd', 'volume/logs/smtpdr']) {
      const texts = multilogDir(dir);
      expect(texts.length).toBeGreaterThan(1000);
      expect(census(texts).unknown).toEqual([]);
    }
  });

  it('the syslog copy and the multilog copy of d1 smtpdr give the same events, CR form aside', () => {
    const fromSyslog = syslogTexts('d1-syslog-restart/logs/maillog.gz').filter((t) => !t.startsWith('tcpserver: status'));
    const fromMultilog = multilogDir('d1-syslog-restart/logs/smtpdr').concat(multilogDir('d1-syslog-restart/logs/smtpd'))
      .filter((t) => !t.startsWith('tcpserver: status'));
    const kindsOf = (ts: string[]) => census(ts).kinds;
    expect(kindsOf(fromSyslog)).toEqual(kindsOf(fromMultilog));
  });
});
