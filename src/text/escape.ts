// Text from logs is written by strangers (an SMTP client's HELO, a sender, a remote's reply).
// One convention for every printer: what could act on a terminal or a page is shown, not sent.
//
// Bytes that were not valid UTF-8 are kept in the store as U+10FF00 + byte (see RAW_BYTE_BASE):
// they survive SQLite TEXT and JSON exactly and are shown here as \xNN.

/** A byte that is not part of valid UTF-8 is stored as this code point + the byte's value. */
export const RAW_BYTE_BASE = 0x10ff00;

// C0 controls, DEL, C1 controls, bidi overrides/isolates (Trojan-source), line/paragraph
// separators, the stored raw bytes (plane 16's last 256 code points), and the backslash itself
// so that an escape in the output is never ambiguous.
const UNSAFE = String.raw`[\x00-\x1f\x7f-\x9f\\\u2028\u2029\u202a-\u202e\u2066-\u2069\u{10ff00}-\u{10ffff}]`;
const RX_UNSAFE = new RegExp(UNSAFE, 'u');
const RX_UNSAFE_G = new RegExp(UNSAFE, 'gu');

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

function visible(ch: string): string {
  if (ch === '\\') return '\\\\';
  const cp = ch.codePointAt(0)!;
  if (cp >= RAW_BYTE_BASE) return `\\x${hex2(cp - RAW_BYTE_BASE)}`;
  if (cp === 0x09) return '\\t';
  if (cp === 0x0a) return '\\n';
  if (cp === 0x0d) return '\\r';
  if (cp <= 0xff) return `\\x${hex2(cp)}`;
  return `\\u{${cp.toString(16)}}`;
}

/**
 * For a terminal: control characters (ESC, BEL, CR, …), C1 controls, bidi controls and raw bytes
 * become visible escapes (`\x1b`, `\t`, `\u{202e}`, `\xff`); a backslash is doubled. Anything
 * else, UTF-8 letters included, is kept.
 */
export function escapeTerminal(s: string): string {
  // the common case (plain text) costs one test and no copy
  return RX_UNSAFE.test(s) ? s.replace(RX_UNSAFE_G, visible) : s;
}

/** escapeTerminal, but a newline (from a decoded multi-line report) is kept as a line break. */
export function escapeTerminalLines(s: string): string {
  return s.split('\n').map(escapeTerminal).join('\n');
}

const HTML: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** For HTML text and attribute values: markup characters as entities, controls as for a terminal. */
export function escapeHtml(s: string): string {
  return escapeTerminal(s).replace(/[&<>"']/g, (c) => HTML[c]!);
}

/** The exact bytes a stored string stands for (raw bytes back to themselves, the rest UTF-8). */
export function toBytes(s: string): Buffer {
  if (!/\udbff[\udf00-\udfff]/.test(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let plain = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= RAW_BYTE_BASE) {
      if (plain !== '') { parts.push(Buffer.from(plain, 'utf8')); plain = ''; }
      parts.push(Buffer.of(cp - RAW_BYTE_BASE));
    } else plain += ch;
  }
  if (plain !== '') parts.push(Buffer.from(plain, 'utf8'));
  return Buffer.concat(parts);
}

/** Bytes → string: valid UTF-8 as is; each byte of an invalid sequence as RAW_BYTE_BASE + byte. */
export function fromBytes(b: Buffer): string {
  let ascii = true;
  for (let i = 0; i < b.length; i++) if (b[i]! >= 0x80) { ascii = false; break; }
  if (ascii) return b.toString('latin1');
  const s = b.toString('utf8');
  if (!s.includes('\ufffd') || Buffer.byteLength(s, 'utf8') === b.length && Buffer.from(s, 'utf8').equals(b)) return s;
  // slow path: walk the bytes, keeping valid sequences and mapping the rest
  let out = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n === 1) { out += String.fromCharCode(c); i++; continue; }
    if (n > 0 && i + n <= b.length) {
      const ch = b.subarray(i, i + n).toString('utf8');
      if (ch.length > 0 && !ch.includes('\ufffd') && Buffer.byteLength(ch, 'utf8') === n) { out += ch; i += n; continue; }
    }
    out += String.fromCodePoint(RAW_BYTE_BASE + c);
    i++;
  }
  return out;
}
