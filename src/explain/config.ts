// Reading qmail's configuration the way qmail reads it: control files (control.c),
// constmap lookups (constmap.c), users/assign (qmail-newu.c) and passwd entries.
import { readFileSync, statSync } from 'node:fs';
import type { FsErr, FsPort, FsStat, SourceRef } from './types.js';

// ---------------------------------------------------------------- fs port

function errnoOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'EIO';
}

/** The real file system; stat follows symlinks, as qmail's stat()/open() do. */
export const nodeFs: FsPort = {
  stat(path: string): FsStat | FsErr {
    try {
      const st = statSync(path);
      const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
      return { kind, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs };
    } catch (e) {
      return { errno: errnoOf(e) };
    }
  },
  read(path: string): Uint8Array | FsErr {
    try {
      return readFileSync(path);
    } catch (e) {
      return { errno: errnoOf(e) };
    }
  },
};

export function isErr(x: FsStat | FsErr | Uint8Array): x is FsErr {
  return !(x instanceof Uint8Array) && 'errno' in x;
}

const utf8 = new TextDecoder('utf-8');
export const decodeUtf8 = (b: Uint8Array): string => utf8.decode(b);
export const encodeUtf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

// ---------------------------------------------------------------- strings

/** qmail's case folding (case_lowerb, constmap's hash): ASCII A–Z only. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** control.c striptrailingwhitespace: '\n', ' ' and '\t' only — a '\r' stays. */
export function stripTrailingWs(s: string): string {
  let end = s.length;
  while (end > 0) {
    const c = s[end - 1];
    if (c === '\n' || c === ' ' || c === '\t') end--;
    else break;
  }
  return s.slice(0, end);
}

// ---------------------------------------------------------------- control files

export interface ControlLine {
  /** 1-based line number in the file. */
  readonly n: number;
  readonly text: string;
}

export interface ControlFile {
  readonly path: string;
  readonly status: 'ok' | 'missing' | 'error';
  /** Set when status is 'error' (e.g. EACCES). */
  readonly errno: string | null;
  /** The lines qmail uses: trailing whitespace stripped, blank and '#' lines dropped. */
  readonly lines: readonly ControlLine[];
  /** Lines ending in '\r': qmail keeps the CR, so they never match. */
  readonly crLines: readonly number[];
  readonly mtimeMs: number | null;
}

function splitLines(text: string): string[] {
  const parts = text.split('\n');
  // A final "\n" leaves an empty last chunk that is not a line (getln: !match && !len).
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** control_readfile(): every non-blank line not starting with '#', trailing whitespace removed. */
export function readControlFile(fs: FsPort, path: string): ControlFile {
  const st = fs.stat(path);
  const data = fs.read(path);
  if (isErr(data)) {
    const missing = data.errno === 'ENOENT';
    return {
      path,
      status: missing ? 'missing' : 'error',
      errno: missing ? null : data.errno,
      lines: [],
      crLines: [],
      mtimeMs: null,
    };
  }
  const lines: ControlLine[] = [];
  const crLines: number[] = [];
  splitLines(decodeUtf8(data)).forEach((raw, i) => {
    const text = stripTrailingWs(raw);
    if (text === '' || text.startsWith('#')) return;
    if (text.endsWith('\r')) crLines.push(i + 1);
    lines.push({ n: i + 1, text });
  });
  return { path, status: 'ok', errno: null, lines, crLines, mtimeMs: isErr(st) ? null : st.mtimeMs };
}

export interface ControlValue {
  readonly value: string;
  readonly at: SourceRef;
}

/** control_readline(): the first line of the file, trailing whitespace removed (no comment handling). */
export function readControlLine(fs: FsPort, path: string): ControlValue | null {
  const data = fs.read(path);
  if (isErr(data)) return null;
  const first = decodeUtf8(data).split('\n')[0] ?? '';
  return { value: stripTrailingWs(first), at: { file: path, line: 1 } };
}

// ---------------------------------------------------------------- constmap

export interface MapEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

/**
 * qmail's constmap: case-insensitive (ASCII) exact lookup. With `flagcolon` the key is the text
 * before the first ':' and lines without ':' are ignored. constmap_init pushes every entry to the
 * front of its hash chain, so for a duplicated key the LAST line wins.
 */
export class ConstMap {
  readonly #map = new Map<string, MapEntry>();
  readonly duplicates: readonly { readonly key: string; readonly lines: readonly number[] }[];
  readonly ignored: readonly number[];

  constructor(lines: readonly ControlLine[], flagcolon: boolean) {
    const seen = new Map<string, number[]>();
    const ignored: number[] = [];
    for (const l of lines) {
      let key = l.text;
      let value = '';
      if (flagcolon) {
        const i = l.text.indexOf(':');
        if (i < 0) {
          ignored.push(l.n);
          continue;
        }
        key = l.text.slice(0, i);
        value = l.text.slice(i + 1);
      }
      const k = asciiLower(key);
      this.#map.set(k, { key, value, line: l.n });
      const ls = seen.get(k);
      if (ls) ls.push(l.n);
      else seen.set(k, [l.n]);
    }
    this.duplicates = [...seen.entries()].filter(([, ls]) => ls.length > 1).map(([key, ls]) => ({ key, lines: ls }));
    this.ignored = ignored;
  }

  get(key: string): MapEntry | undefined {
    return this.#map.get(asciiLower(key));
  }

  get size(): number {
    return this.#map.size;
  }
}

// ---------------------------------------------------------------- users/assign

/** One users/assign line as qmail-newu stores it: key `!local\0` (exact) or `!prefix` (wildcard). */
export interface AssignEntry {
  readonly line: number;
  readonly wildcard: boolean;
  /** The local part (exact) or prefix (wildcard) as written. */
  readonly name: string;
  /** cdb key bytes as a string: "!" + lowercased name, plus "\0" for exact entries. */
  readonly key: string;
  /** cdb data: user\0uid\0gid\0home\0dash\0ext */
  readonly data: string;
}

export interface AssignFile {
  readonly path: string;
  readonly status: 'ok' | 'missing' | 'error';
  readonly errno: string | null;
  readonly mtimeMs: number | null;
  readonly entries: readonly AssignEntry[];
  /** Last characters of the wildcard prefixes (the cdb's "" record). */
  readonly wildchars: string;
  /** Where qmail-newu would stop with "bad format in users/assign" (it then writes nothing). */
  readonly formatError: { readonly line: number; readonly why: string } | null;
  /** qmail-newu needs a line starting with '.' to end the file. */
  readonly terminated: boolean;
}

/** Parse users/assign with qmail-newu's rules. */
export function readAssign(fs: FsPort, path: string): AssignFile {
  const st = fs.stat(path);
  const data = fs.read(path);
  if (isErr(data)) {
    const missing = data.errno === 'ENOENT';
    return {
      path,
      status: missing ? 'missing' : 'error',
      errno: missing ? null : data.errno,
      mtimeMs: null,
      entries: [],
      wildchars: '',
      formatError: null,
      terminated: false,
    };
  }
  const text = decodeUtf8(data);
  const raw = text.split('\n');
  const entries: AssignEntry[] = [];
  let wildchars = '';
  let formatError: AssignFile['formatError'] = null;
  let terminated = false;
  for (let idx = 0; idx < raw.length; idx++) {
    const line = raw[idx] ?? '';
    const complete = idx < raw.length - 1; // had its '\n'
    if (!complete && line === '') {
      formatError = { line: idx + 1, why: 'the file ends without the final "." line' };
      break;
    }
    if (line.startsWith('.')) {
      terminated = true;
      break;
    }
    if (!complete) {
      formatError = { line: idx + 1, why: 'the last line has no newline and there is no "." line' };
      break;
    }
    if (line.includes('\0')) {
      formatError = { line: idx + 1, why: 'NUL byte in the line' };
      break;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      formatError = { line: idx + 1, why: colon < 0 ? 'no ":" in the line (blank lines and comments are not allowed)' : 'the line starts with ":"' };
      break;
    }
    const wildcard = line.startsWith('+');
    const name = line.slice(1, colon);
    // Fields after the first ':' — qmail-newu keeps exactly six, separated by NULs.
    const fields = line.slice(colon + 1).split(':');
    if (fields.length < 7) {
      formatError = { line: idx + 1, why: `needs 7 fields after the name (user:uid:gid:home:dash:ext:), found ${fields.length}` };
      break;
    }
    if (wildcard && name.length > 0) {
      const last = name[name.length - 1] ?? '';
      if (!wildchars.includes(last)) wildchars += last;
    }
    entries.push({
      line: idx + 1,
      wildcard,
      name,
      key: '!' + asciiLower(name) + (wildcard ? '' : '\0'),
      data: fields.slice(0, 6).join('\0'),
    });
  }
  return {
    path,
    status: 'ok',
    errno: null,
    mtimeMs: isErr(st) ? null : st.mtimeMs,
    entries,
    wildchars,
    formatError,
    terminated,
  };
}

// ---------------------------------------------------------------- passwd

export interface PasswdEntry {
  readonly line: number;
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

export interface PasswdFile {
  readonly path: string;
  readonly status: 'ok' | 'missing' | 'error';
  readonly errno: string | null;
  /** getpwnam semantics: the first entry of a name wins. */
  readonly byName: ReadonlyMap<string, PasswdEntry>;
}

export function readPasswd(fs: FsPort, path: string): PasswdFile {
  const data = fs.read(path);
  if (isErr(data)) {
    const missing = data.errno === 'ENOENT';
    return { path, status: missing ? 'missing' : 'error', errno: missing ? null : data.errno, byName: new Map() };
  }
  const byName = new Map<string, PasswdEntry>();
  decodeUtf8(data)
    .split('\n')
    .forEach((raw, i) => {
      const f = raw.split(':');
      if (f.length < 7) return;
      const [name, , uid, gid, , home] = f;
      if (!name || !/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? '')) return;
      if (!byName.has(name)) byName.set(name, { line: i + 1, name, uid: Number(uid), gid: Number(gid), home: home ?? '' });
    });
  return { path, status: 'ok', errno: null, byName };
}

// ---------------------------------------------------------------- qmail-start's argument

export interface StartArg {
  readonly value: string;
  readonly at: SourceRef;
  /** Other qmail-start lines with a different argument (e.g. a syslog branch). */
  readonly others: readonly { readonly value: string; readonly line: number }[];
}

/** The first shell word after `qmail-start`, with quotes removed; null when there is none. */
function firstWordAfter(text: string, from: number): string | null {
  let i = from;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  if (i >= text.length) return null;
  let out = '';
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === ' ' || c === '\t' || c === ';' || c === '|' || c === '&' || c === '>' || c === '<') break;
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      const stop = end < 0 ? text.length : end;
      const inner = text.slice(i + 1, stop);
      out += c === '"' ? inner.replace(/\\(["\\$`])/g, '$1') : inner;
      i = stop + 1;
      continue;
    }
    if (c === '\\' && i + 1 < text.length) {
      out += text[i + 1];
      i += 2;
      continue;
    }
    out += c;
    i++;
  }
  return out === '' ? null : out;
}

/** Find `qmail-start ARG` in an rc or run script. Lines that are comments are skipped. */
export function findQmailStartArg(fs: FsPort, path: string): StartArg | null {
  const data = fs.read(path);
  if (isErr(data)) return null;
  const found: { value: string; line: number }[] = [];
  decodeUtf8(data)
    .split('\n')
    .forEach((raw, i) => {
      if (raw.trimStart().startsWith('#')) return;
      const m = /(^|[\s/'"`;])qmail-start(?=\s|$)/.exec(raw);
      if (!m) return;
      const arg = firstWordAfter(raw, m.index + m[0].length);
      if (arg !== null) found.push({ value: arg, line: i + 1 });
    });
  const first = found[0];
  if (!first) return null;
  return {
    value: first.value,
    at: { file: path, line: first.line },
    others: found.slice(1).filter((f) => f.value !== first.value),
  };
}
