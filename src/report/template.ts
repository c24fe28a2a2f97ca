// A delivery reason as a template: what varies from message to message (addresses, IPs, queue
// ids, numbers) is masked, so one cause is one row. The SMTP code and the enhanced status stay.

const EMAIL = /<?[^\s<>()"',;]+@[^\s<>()"',;]+>?/g;
const IPV4 = /\b\d{1,3}(?:\.\d{1,3}){3}\b/g;
const IPV6 = /\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{1,4}\b/gi;
const STATUS = /#?\b[245]\.\d{1,3}\.\d{1,3}\b/g;       // enhanced status 5.1.1 / #5.1.1
const CODE = /(^|said: |\n)([245]\d\d)(?=[ -]|$)/g;     // reply code at a line start or after "said: "
const HEXID = /\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi;
const NUMBER = /\d+/g;

/** Decoded reason → one-line template. */
export function reasonTemplate(reason: string): string {
  const kept: string[] = [];
  const keep = (s: string): string => String.fromCharCode(0xe000 + kept.push(s) - 1); // a private-use mark: no digit to mask
  let t = reason.replace(/\n+$/, '');
  t = t.replace(STATUS, keep);
  t = t.replace(CODE, (_m, pre: string, code: string) => pre + keep(code));
  t = t.replace(EMAIL, '<addr>').replace(IPV4, '<ip>').replace(IPV6, '<ip>').replace(HEXID, '<id>').replace(NUMBER, 'N');
  t = t.replace(/[\ue000-\uf8ff]/g, (c) => kept[c.charCodeAt(0) - 0xe000] ?? c);
  return t.replace(/\s*\n\s*/g, ' / ').replace(/[ \t]+/g, ' ').trim();
}
