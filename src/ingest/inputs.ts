// What the user named → the files to read, in order. A multilog directory is its rotated
// `@*.s` files (by their TAI64N names) and then `current`; `.gz` anywhere is read transparently.

import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { QtraceError } from '../util/errors.js';

export interface InputFile {
  readonly path: string;        // resolved path, or '-' for stdin
  readonly stream: string;      // name of the log stream it belongs to (multilog dir name, file name)
  readonly gz: boolean;
  readonly size: number;
  readonly mtime: Date;
  readonly identity: string;    // sha1 of the first 4 KiB as stored ('' for stdin)
}

const RX_ROTATED = /^@[0-9a-f]{24}\.[su](\.gz)?$/;
const RX_CURRENT = /^current(\.gz)?$/;

function identityOf(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return createHash('sha1').update(buf.subarray(0, n)).digest('hex');
  } finally {
    closeSync(fd);
  }
}

function fileInput(path: string, stream: string): InputFile {
  const st = statSync(path);
  return { path, stream, gz: path.endsWith('.gz'), size: st.size, mtime: st.mtime, identity: identityOf(path) };
}

/** The log stream a lone file belongs to: its multilog dir for current/@…s, else its own name. */
function streamOf(path: string): string {
  const name = basename(path);
  if (RX_CURRENT.test(name) || RX_ROTATED.test(name)) return basename(dirname(path));
  return name.replace(/\.gz$/, '').replace(/(\.\d+|-\d{8})$/, '');
}

/** One group per argument: a group is one time-ordered stream (a multilog dir is one group). */
export function expandInputs(args: readonly string[], stdinName: string): InputFile[][] {
  const groups: InputFile[][] = [];
  for (const a of args.length === 0 ? ['-'] : args) {
    const out: InputFile[] = [];
    groups.push(out);
    if (a === '-') {
      out.push({ path: '-', stream: stdinName, gz: false, size: 0, mtime: new Date(), identity: '' });
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
      let names: string[];
      try {
        names = readdirSync(p);
      } catch (e) {
        throw new QtraceError('NO_INPUT', `cannot read directory ${a}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      const rotated = names.filter((n) => RX_ROTATED.test(n)).sort();
      const current = names.filter((n) => RX_CURRENT.test(n));
      if (rotated.length === 0 && current.length === 0) {
        throw new QtraceError('NOT_MULTILOG', `${a} is not a multilog directory (no current or @….s files)`);
      }
      const stream = basename(p);
      for (const n of [...rotated, ...current]) out.push(fileInput(join(p, n), stream));
    } else {
      try {
        out.push(fileInput(p, streamOf(p)));
      } catch (e) {
        throw new QtraceError('NO_INPUT', `cannot read ${a}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
  }
  return groups;
}
