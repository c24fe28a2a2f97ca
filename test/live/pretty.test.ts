// The live view's lines for what must stand out at 3 a.m.: qmail-send alerts, warnings and
// restarts. The line shapes are qmail-send's own (../shared/qmail/formats.md §1; the lab had
// none of them), parsed by the real parser, rendered by the real pino-pretty printer.

import { describe, expect, it } from 'vitest';
import { parseSendText } from '../../parsers/qmail-send.js';
import { prettyPrinter } from '../../src/live/pretty.js';
import { eventRecord, noticeRecord } from '../../src/live/records.js';

const AT = 1_795_629_960_224_181; // 2026-11-25 18:06:00.224181 UTC
const rec = (text: string) => {
  const ev = parseSendText(text);
  expect(ev, text).toBeDefined();
  return eventRecord(AT, 'vm', 'send', ev!, `@400000006b0721831b7e4f84 ${text}`);
};

describe('live view: what stands out', () => {
  const plain = prettyPrinter({ color: false, zone: 'UTC' });
  const color = prettyPrinter({ color: true, zone: 'UTC' });

  it('alerts: level error, an ALERT tag, bold red when coloured', () => {
    const r = rec('alert: oh no! lost spawn connection! dying...');
    expect(r.level).toBe(50);
    expect(plain(r)).toBe('18:06:00.224 vm  ALERT : qmail-send ALERT: oh no! lost spawn connection! dying...\n');
    expect(color(r)).toContain('\x1b[41m'); // red background on the tag
    expect(color(r)).toContain('\x1b[1m\x1b[31mqmail-send ALERT: oh no!');
  });

  it('warnings: level warn, a WARN tag, bold yellow', () => {
    const r = rec('warning: unable to stat mess/5/706430');
    expect(r.level).toBe(40);
    expect(plain(r)).toBe('18:06:00.224 vm WARN: qmail-send warning: unable to stat mess/5/706430\n');
    expect(color(r)).toContain('\x1b[33mWARN\x1b[39m');
  });

  it('a restart: the exiting line and qtrace\'s notice of the new run', () => {
    expect(plain(rec('status: exiting'))).toBe('18:06:00.224 vm WARN: qmail-send exiting (restart or stop)\n');
    const n = noticeRecord({ host: 'vm', at: AT, level: 'qtrace', text: 'qmail-send restarted (status: exiting)' });
    expect(plain(n)).toBe('18:06:00.224 vm WARN: qtrace: qmail-send restarted (status: exiting)\n');
  });

  it('the concurrency status lines are detail: hidden unless --print all', () => {
    const r = rec('status: local 1/10 remote 0/20');
    expect(plain(r)).toBe('');
    expect(prettyPrinter({ color: false, zone: 'UTC', debug: true })(r)).toBe('18:06:00.224 vm: status: local 1/10 remote 0/20\n');
  });

  it('times in --tz', () => {
    expect(prettyPrinter({ color: false, zone: 'Europe/Berlin' })(rec('warning: trouble in select'))).toMatch(/^19:06:00\.224 vm WARN: /);
  });
});
