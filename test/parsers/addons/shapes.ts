// Every line shape of the project in one list, so a sample can be checked against all of them:
// qmail-send's, the smtpd side's, and the add-ons' (vchkpw, Plesk, qmail-scanner, not-qmail).

import type { Format } from '../../../parsers/format.js';
import { recogniseNotQmail } from '../../../parsers/not-qmail.js';
import { PLESK_FORMATS } from '../../../parsers/plesk.js';
import { QMAIL_SCANNER_FORMATS } from '../../../parsers/qmail-scanner.js';
import { SEND_FORMATS } from '../../../parsers/qmail-send.js';
import { SMTPD_FORMATS } from '../../../parsers/smtpd.js';
import { VCHKPW_FORMATS } from '../../../parsers/vchkpw.js';

function accepts<E>(f: Format<E>, text: string): boolean {
  const m = f.pattern.exec(text);
  return m !== null && f.build(m.groups ?? {}) !== undefined;
}

/** Names of every shape that takes `text` (Plesk's formats as the text after `tag[pid]: `). */
export function takers(text: string): string[] {
  const out: string[] = [];
  for (const f of SEND_FORMATS) if (f.pattern.test(text)) out.push(f.name);
  for (const f of SMTPD_FORMATS) if (accepts(f, text)) out.push(f.name);
  for (const f of VCHKPW_FORMATS) if (accepts(f, text)) out.push(f.name);
  for (const f of PLESK_FORMATS) if (accepts(f.format, text)) out.push(f.name);
  for (const f of QMAIL_SCANNER_FORMATS) if (accepts(f, text)) out.push(f.name);
  if (recogniseNotQmail(undefined, text) !== undefined) out.push('not-qmail');
  return out;
}

/** `Mmm dd HH:MM:SS host tag[pid]: text` (RFC 3164 as the public copies show it) → its parts. */
export function syslogParts(line: string): { tag: string; pid: number | undefined; text: string } | undefined {
  const m = /^[A-Z][a-z]+ +\d{1,2} \d\d:\d\d:\d\d \S+ (?<tag>[^[:]+?)(?:\[(?<pid>\d+)\]?)?: (?<text>.*)$/.exec(line);
  if (m?.groups === undefined) return undefined;
  const pid = m.groups['pid'];
  return { tag: m.groups['tag'] ?? '', pid: pid === undefined ? undefined : Number(pid), text: m.groups['text'] ?? '' };
}
