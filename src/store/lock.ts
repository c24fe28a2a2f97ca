// One writer at a time. SQLite would let two ingests interleave their transactions, each with
// its own idea of the open timelines, and the last to write would win; so a writer holds
// `STORE.lock` (its pid inside) for the whole run. Readers never take it: WAL lets them read
// committed data while a writer works. A lock left by a process that is gone is taken over.

import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { QtraceError } from '../util/errors.js';

export interface LockOptions {
  /** Wait for the other writer instead of failing (polls every 200 ms). */
  readonly wait?: boolean;
}

function holder(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryLock(path: string): number | undefined {
  for (let i = 0; i < 3; i++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return undefined;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new QtraceError('LOCK', `cannot lock the store (${path}): ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
    const pid = holder(path);
    if (pid !== undefined && pid !== process.pid && alive(pid)) return pid;
    try { unlinkSync(path); } catch { /* another process took it over first */ }
  }
  return holder(path) ?? 0;
}

/** Takes the store's write lock; returns its release. ':memory:' needs none. */
export async function lockStore(dbPath: string, opts: LockOptions = {}): Promise<() => void> {
  if (dbPath === '' || dbPath === ':memory:') return () => {};
  const path = `${dbPath}.lock`;
  for (;;) {
    const other = tryLock(path);
    if (other === undefined) break;
    if (opts.wait !== true) {
      throw new QtraceError('BUSY', `store in use by pid ${other}`, 'wait for it, or pass --wait');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    if (holder(path) === process.pid) { try { unlinkSync(path); } catch { /* gone already */ } }
  };
  process.once('exit', release);
  return () => { process.off('exit', release); release(); };
}
