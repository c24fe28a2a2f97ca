// The add-on parsers on the lab's real logs (stock qmail, every framing): none of them takes a
// single line, so adding them to the ingest moves no qmail line out of its own parser.

import { describe, expect, it } from 'vitest';
import { frameLine } from '../../../parsers/line.js';
import { recogniseNotQmail } from '../../../parsers/not-qmail.js';
import { parsePlesk } from '../../../parsers/plesk.js';
import { parseQmailScanner } from '../../../parsers/qmail-scanner.js';
import { UTC_ZONE } from '../../../parsers/timestamp.js';
import { parseVchkpw } from '../../../parsers/vchkpw.js';
import { haveLab, labText } from '../../helpers/lab.js';

const ctx = { zone: UTC_ZONE, yearFor: () => 2026 };
const FILES = [
  'b1-scenarios/logs/send/current', 'b1-scenarios/logs/smtpd/current', 'b1-scenarios/logs/smtpdr/current',
  'd1-syslog-restart/logs/maillog.gz', 'd1-syslog-restart/logs/maillog.rfc3339.gz', 'd1-syslog-restart/logs/maillog.rfc5424.gz',
  'd1-syslog-restart/logs/smtpd/current', 'd2-local-time/logs/send.tai64nlocal-Europe-Berlin/current',
  'd2-local-time/logs/smtpd/current', 'volume/logs/smtpd/current.gz',
];

describe.skipIf(!haveLab())('add-on parsers on the lab logs', () => {
  it('take no line of stock qmail', () => {
    let n = 0;
    const taken: string[] = [];
    for (const file of FILES) {
      for (const raw of labText(file).split('\n')) {
        if (raw === '') continue;
        n++;
        const f = frameLine(raw, ctx);
        if (parseVchkpw(f.text) !== undefined || parsePlesk(f.text, f.tag) !== undefined
          || parseQmailScanner(f.text) !== undefined || recogniseNotQmail(f.tag, f.text) !== undefined) taken.push(`${file}: ${raw}`);
      }
    }
    expect(n).toBeGreaterThan(10_000);
    expect(taken).toEqual([]);
  });
});
