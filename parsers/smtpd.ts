// Entry point for the text of an smtpd log line (tcpserver, rblsmtpd, recordio, add-ons). Dispatches
// on the first character so that each line meets at most one family's patterns: recordio (the bulk
// of an smtpd log: every dialogue and body line) is a digit, tcpserver 't', rblsmtpd 'r'. The old
// rblsmtpd's pid-less `LIST blocked IP …` starts with its list's name: it is tried, after an
// `includes(' blocked ')`, only on lines no other family took.

import type { SmtpdEvent, SmtpdFormat } from './smtpd-events.js';
import { parseTcpserver, TCPSERVER_FORMATS } from './tcpserver.js';
import { parseRblListed, parseRblsmtpd, RBLSMTPD_FORMATS } from './rblsmtpd.js';
import { parseRecordio, RECORDIO_FORMATS } from './recordio.js';
import { parseSmtpdPatch, SMTPD_PATCH_FORMATS } from './smtpd-patches.js';

/** Every smtpd-side line shape, for documentation and the sample checks. */
export const SMTPD_FORMATS: readonly SmtpdFormat[] = [
  ...TCPSERVER_FORMATS, ...RBLSMTPD_FORMATS, ...RECORDIO_FORMATS, ...SMTPD_PATCH_FORMATS,
];

/** One line's text → its event, or undefined when it is no smtpd-side shape. Never throws. */
export function parseSmtpdText(text: string): SmtpdEvent | undefined {
  const c = text.charCodeAt(0);
  if (c >= 48 && c <= 57) return parseRecordio(text) ?? parseRblListed(text);
  if (c === 116) return parseTcpserver(text) ?? parseRblListed(text);   // t
  if (c === 114) return parseRblsmtpd(text);    // r
  return parseSmtpdPatch(text);
}
