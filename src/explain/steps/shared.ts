// What the steps share: the walk's context, findings and marks, qmail's paths and error wording.
import { posix as path } from 'node:path';
import { asciiLower } from '../config.js';
import type { ConstMap, ControlFile, MapEntry } from '../config.js';
import type { EvidenceSource, Finding, FsPort, FsStat, Level, Mark, QmailLine, SourceRef } from '../types.js';

export interface WalkContext {
  readonly fs: FsPort;
  readonly root: string;
  readonly sysroot: string;
  readonly passwd: string;
  readonly patrn: number;
  readonly relayclient: boolean;
  readonly defaultDelivery: string | undefined;
  readonly evidence: EvidenceSource | undefined;
  readonly evidenceLimit: number;
}

/** A reason qmail would not deliver: a deferral (retried until queuelifetime) or a bounce. */
export interface Failure {
  readonly kind: 'defer' | 'bounce';
  readonly message: string;
}

export class Notes {
  readonly list: Finding[] = [];
  add(level: Level, text: string, at: SourceRef | null = null): void {
    this.list.push({ level, text, at });
  }
  get worst(): Level | null {
    if (this.list.some((f) => f.level === 'fail')) return 'fail';
    if (this.list.some((f) => f.level === 'warn')) return 'warn';
    return null;
  }
}

export const ref = (file: string, line: number | null = null): SourceRef => ({ file, line });
export const ctl = (ctx: WalkContext, name: string): string => path.join(ctx.root, 'control', name);
/** A path as qmail sees it (/home/tammy) to where it is on disk (under --sysroot). */
export const sys = (ctx: WalkContext, p: string): string => path.join(ctx.sysroot, p);
export const notFound = (errno: string): boolean => errno === 'ENOENT' || errno === 'ENOTDIR';

/** qmail's error_str() wording for the errors that matter here. */
export function errorStr(errno: string): string {
  switch (errno) {
    case 'ENOENT':
      return 'file does not exist';
    case 'EACCES':
      return 'access denied';
    case 'ENOTDIR':
      return 'not a directory';
    case 'EISDIR':
      return 'is a directory';
    default:
      return errno;
  }
}

/** Would a process with exactly this uid and gid (qmail-lspawn sets no supplementary groups) get `want` (r=4, w=2, x=1)? */
export function can(st: FsStat, uid: number, gid: number, want: number): boolean {
  const bits = st.uid === uid ? (st.mode >> 6) & 7 : st.gid === gid ? (st.mode >> 3) & 7 : st.mode & 7;
  return (bits & want) === want;
}

export function crFindings(notes: Notes, files: readonly ControlFile[]): void {
  for (const f of files)
    for (const n of f.crLines)
      notes.add('warn', `line ends with a carriage return (DOS line ending): qmail keeps the CR, so this line never matches`, ref(f.path, n));
}

export function duplicateNote(notes: Notes, map: ConstMap, hit: MapEntry, file: string): void {
  const dup = map.duplicates.find((d) => d.key === asciiLower(hit.key));
  if (dup) notes.add('note', `"${hit.key}" is listed on lines ${dup.lines.join(', ')}; qmail uses the last one`, ref(file, hit.line));
}

export function markOf(notes: Notes, failed: boolean, lines: readonly QmailLine[] = []): Mark {
  if (failed) return 'fail';
  return notes.worst === 'warn' || notes.worst === 'fail' || lines.some((l) => l.level === 'warn' || l.level === 'fail') ? 'warn' : 'ok';
}
