// What the user named → the files to read, in order. A multilog directory is its rotated
// `@*.s` files (by their TAI64N names) and then `current`; `.gz` anywhere is read transparently.
// Each file is known by the fingerprint of its first line, as Vector's file source does: the
// fingerprint survives multilog's rename of `current` to `@….s`, and the store keeps, per
// fingerprint, the byte offset after the last line it took.

import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { parseFrame, type FrameContext, type Framing } from '../../parsers/frame.js';
import { UTC_ZONE } from '../../parsers/timestamp.js';
import { QtraceError } from '../util/errors.js';

/** file: seekable; gz: read whole, resumed by skipping; stream: stdin, a FIFO, /dev/fd/N. */
export type InputKind = 'file' | 'gz' | 'stream';

export interface InputFile {
  readonly path: string;        // resolved path, or '-' for stdin
  readonly stream: string;      // name of the log stream it belongs to (multilog dir name, file name)
  readonly kind: InputKind;
  readonly gz: boolean;
  readonly size: number;
  readonly mtime: Date;
  readonly dev: number;
  readonly ino: number;
  /** sha1 of the first line (at most 4 KiB of it); undefined while no line is complete (or a stream). */
  readonly fingerprint: string | undefined;
  /** Cannot grow any more (`.gz`, multilog's rotated `@….s`): a last line without newline is whole. */
  readonly final: boolean;
  readonly syslogHost: string | undefined; // the host its first line names, when it is syslog
  readonly tai64n: boolean;     // its first line has a multilog TAI64N stamp
  readonly firstUs: number | undefined;    // the stamp of its first line
  readonly error?: string | undefined;     // it could not be read: named, counted and skipped
}

export const RX_ROTATED = /^@[0-9a-f]{24}\.[su](\.gz)?$/;
const RX_CURRENT = /^current(\.gz)?$/;

function head(path: string, open?: number): Buffer {
  const fd = open ?? openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
  } finally {
    if (open === undefined) closeSync(fd);
  }
}

const PEEK: FrameContext = { zone: UTC_ZONE, yearFor: () => 2000 };
const FINGERPRINT_MAX = 4096;

/** The fingerprint of a first line: undefined while it is shorter than the limit and unfinished. */
export function fingerprintOf(bytes: Buffer): string | undefined {
  const nl = bytes.indexOf(10);
  if (nl < 0 && bytes.length < FINGERPRINT_MAX) return undefined;
  return createHash('sha1').update(bytes.subarray(0, nl < 0 ? FINGERPRINT_MAX : nl + 1)).digest('hex');
}

interface FirstLine { framing: Framing; host: string | undefined; us: number | undefined; fingerprint: string | undefined }

/** A file's first line: its fingerprint, framing, stamp, and the host it names if it is syslog. */
function firstLine(raw: Buffer, gz: boolean, mtime: Date): FirstLine {
  let bytes: Buffer;
  try {
    bytes = gz ? gunzipSync(raw, { finishFlush: zlibConstants.Z_SYNC_FLUSH }) : raw;
  } catch {
    // not gzip after all: reading it will say so; the compressed bytes still tell it apart
    return { framing: 'none', host: undefined, us: undefined, fingerprint: createHash('sha1').update(raw).digest('hex') };
  }
  const text = bytes.subarray(0, FINGERPRINT_MAX).toString('utf8');
  const nl = text.indexOf('\n');
  const f = parseFrame(nl < 0 ? text : text.slice(0, nl), { ...PEEK, yearFor: () => mtime.getUTCFullYear() });
  const syslog = f.framing === 'rfc3164' || f.framing === 'rfc3339' || f.framing === 'rfc5424';
  return { framing: f.framing, host: syslog ? f.host : undefined, us: f.us, fingerprint: fingerprintOf(bytes) };
}

/** A file as it is now (through `fd` when given: the file that descriptor holds, whatever its path is since). */
export function fileInput(path: string, stream: string, fd?: number): InputFile {
  const st = fd === undefined ? statSync(path) : fstatSync(fd);
  if (st.isFIFO() || st.isCharacterDevice() || st.isSocket()) return streamInput(path, stream);
  const gz = path.endsWith('.gz');
  let bytes: Buffer;
  try {
    bytes = head(path, fd);
  } catch (e) {
    return { ...streamInput(path, stream), kind: gz ? 'gz' : 'file', gz, error: (e as NodeJS.ErrnoException).code ?? 'error' };
  }
  const first = firstLine(bytes, gz, st.mtime);
  return { path, stream, kind: gz ? 'gz' : 'file', gz, size: st.size, mtime: st.mtime, dev: st.dev, ino: st.ino,
    fingerprint: first.fingerprint, final: gz || RX_ROTATED.test(basename(path)),
    syslogHost: first.host, tai64n: first.framing === 'multilog', firstUs: first.us };
}

/** stdin, a FIFO or `/dev/fd/N` (`<(zcat f)`): read as it comes; its fingerprint is taken on the way. */
function streamInput(path: string, stream: string): InputFile {
  return { path, stream, kind: 'stream', gz: false, size: 0, mtime: new Date(), dev: 0, ino: 0, fingerprint: undefined,
    final: true, syslogHost: undefined, tai64n: false, firstUs: undefined };
}

/** The log stream a lone file belongs to: its multilog dir for current/@…s, else its own name. */
export function streamOf(path: string): string {
  const name = basename(path);
  if (RX_CURRENT.test(name) || RX_ROTATED.test(name)) return basename(dirname(path));
  return name.replace(/\.gz$/, '').replace(/(\.\d+|-\d{8})$/, '');
}

function listDir(p: string, shown: string): string[] {
  try {
    return readdirSync(p);
  } catch (e) {
    throw new QtraceError('NO_INPUT', `cannot read directory ${shown}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** A multilog directory's files in order (`@…s` by their TAI64N names, then `current`), or []. */
function multilogFiles(p: string, names: readonly string[]): InputFile[] {
  const rotated = names.filter((n) => RX_ROTATED.test(n)).sort();
  const current = names.filter((n) => RX_CURRENT.test(n));
  const stream = basename(p);
  return [...rotated, ...current].map((n) => fileInput(join(p, n), stream));
}

// Files a log directory may hold besides multilog dirs: syslog files and their rotations.
const RX_LOGFILE = /(^(mail|maillog|messages|syslog)([.-].*)?$)|(\.log(\.\d+)?(\.gz)?$)/;

/**
 * A directory that is no multilog dir itself (/var/log/qmail holding send/ and smtpd/): its
 * multilog subdirectories whose stamps are multilog's own (a tai64nlocal copy beside its
 * original would feed the same lines twice), and its syslog files. One group each.
 */
function logDirGroups(p: string, shown: string, names: readonly string[]): InputFile[][] {
  const groups: InputFile[][] = [];
  for (const n of [...names].sort()) {
    const q = join(p, n);
    let st;
    try { st = statSync(q); } catch { continue; }
    if (st.isDirectory()) {
      const files = multilogFiles(q, listDir(q, join(shown, n)));
      if (files.length > 0 && files.every((f) => f.tai64n)) groups.push(files);
    } else if (st.isFile() && RX_LOGFILE.test(n)) {
      groups.push([fileInput(q, streamOf(q))]);
    }
  }
  if (groups.length === 0) {
    throw new QtraceError('NOT_MULTILOG', `${shown} is not a multilog directory (no current or @….s files) and holds none`,
      'name the log files or multilog directories');
  }
  return groups;
}

/**
 * One group per argument: a group is one time-ordered stream (a multilog dir is one group). A
 * file named twice (`send/` and `send/current`) is read once, in the largest group that has it.
 */
export function expandInputs(args: readonly string[], stdinName: string): InputFile[][] {
  const groups = expandEach(args, stdinName);
  const owner = new Map<string, InputFile[]>();
  for (const g of [...groups].sort((a, b) => b.length - a.length)) {
    for (const f of g) if (f.fingerprint !== undefined && !owner.has(f.fingerprint)) owner.set(f.fingerprint, g);
  }
  return groups.map((g) => g.filter((f, i) => f.fingerprint === undefined ||
    (owner.get(f.fingerprint) === g && g.findIndex((x) => x.fingerprint === f.fingerprint) === i)))
    .filter((g) => g.length > 0);
}

function expandEach(args: readonly string[], stdinName: string): InputFile[][] {
  const groups: InputFile[][] = [];
  for (const a of args.length === 0 ? ['-'] : args) {
    if (a === '-') {
      groups.push([streamInput('-', stdinName)]);
      continue;
    }
    const p = resolve(a);
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new QtraceError('NO_INPUT', `cannot read ${a}: no such file or directory`);
    }
    if (st.isDirectory()) {
      const names = listDir(p, a);
      const files = multilogFiles(p, names);
      if (files.length > 0) groups.push(files);
      else groups.push(...logDirGroups(p, a, names));
    } else {
      try {
        groups.push([st.isFIFO() || st.isCharacterDevice() ? streamInput(p, streamOf(p)) : fileInput(p, streamOf(p))]);
      } catch (e) {
        throw new QtraceError('NO_INPUT', `cannot read ${a}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
  }
  return groups;
}

/**
 * The host for lines that name none (multilog): the one host the syslog inputs name, else the
 * one host the store already knows, else undefined (the caller falls back to this machine).
 * Logs copied from another machine then still meet their syslog half.
 */
export function impliedHost(groups: readonly (readonly InputFile[])[], storedHosts: readonly string[]): string | undefined {
  const named = new Set<string>();
  for (const g of groups) for (const f of g) if (f.syslogHost !== undefined) named.add(f.syslogHost);
  if (named.size === 1) return [...named][0];
  if (named.size === 0 && storedHosts.length === 1) return storedHosts[0];
  return undefined;
}
