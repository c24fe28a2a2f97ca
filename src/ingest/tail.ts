// A file still being written, read through its open descriptor: its bytes as they are appended,
// until it is no longer the file at its path (multilog renamed `current` to `@….s`, logrotate
// moved it) and everything written to it has been read. It also ends when it shrinks under what
// was read (truncated: the rest is gone), when told to stop, or when told to reopen (SIGHUP).
// Changes are seen by fs.watch on its directory, and by a short poll where watching fails or
// misses (network file systems, inotify limits).

import { close, fstat, read, stat, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';

export type TailEnd = 'rotated' | 'truncated' | 'stopped' | 'reopened' | 'failed';

export interface TailOptions {
  readonly pollMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Why it ended, where (bytes read) and how large the file was then. */
  readonly onEnd?: ((why: TailEnd, offset: number, size: number) => void) | undefined;
}

const CHUNK = 1 << 16;

export class Tail extends Readable {
  readonly #fd: number;
  readonly #path: string;
  readonly #dev: number;
  readonly #ino: number;
  readonly #o: TailOptions;
  #pos: number;
  #busy = false;            // a read or a check is under way
  #want = false;            // the consumer asked for more while we were busy
  #ending: TailEnd | undefined;
  #finished = false;
  #closed = false;
  #armed = false;           // waiting for the file to change
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #onAbort = (): void => this.stop('stopped');

  /** `fd` is open on the file at `path` (dev, ino); reading starts at `start`. The tail owns the fd. */
  constructor(fd: number, path: string, id: { dev: number; ino: number }, start: number, o: TailOptions) {
    super({ highWaterMark: CHUNK });
    this.#fd = fd;
    this.#path = path;
    this.#dev = id.dev;
    this.#ino = id.ino;
    this.#pos = start;
    this.#o = o;
    if (o.signal?.aborted === true) this.#ending = 'stopped';
    else o.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Ends the tail once what is written so far is read ('reopened'), or at once ('stopped'). */
  stop(why: 'stopped' | 'reopened'): void {
    if (this.#finished) return;
    if (this.#ending === undefined || why === 'stopped') this.#ending = why;
    this.#wake();
  }

  override _read(): void {
    this.#want = true;
    if (!this.#busy) this.#pump();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.#finished = true;
    this.#cleanup();
    cb(err);
  }

  #pump(): void {
    this.#disarm();
    if (this.#finished) return;
    if (this.#ending === 'stopped') return this.#finish();
    this.#busy = true;
    this.#want = false;
    const buf = Buffer.allocUnsafe(CHUNK);
    read(this.#fd, buf, 0, CHUNK, this.#pos, (err, n) => {
      this.#busy = false;
      if (this.#finished) return;
      if (err !== null) { this.#ending = 'failed'; this.destroy(err); return; }
      if (this.#ending === 'stopped') return this.#finish();
      if (n > 0) {
        this.#pos += n;
        if (this.push(buf.subarray(0, n))) this.#pump();
        return;
      }
      this.#atEnd();
    });
  }

  /** Everything written so far is read: done, or wait for more. */
  #atEnd(): void {
    if (this.#ending !== undefined) return this.#finish();
    this.#busy = true;
    fstat(this.#fd, (err, own) => {
      if (err !== null) { this.#busy = false; this.#ending = 'failed'; this.destroy(err); return; }
      if (own.size < this.#pos) {
        this.#busy = false;
        this.#ending = 'truncated';
        return this.#finish(own.size);
      }
      if (own.size > this.#pos) { this.#busy = false; return this.#pump(); }
      stat(this.#path, (e, now) => {
        this.#busy = false;
        if (this.#finished) return;
        if (e !== null || now.ino !== this.#ino || now.dev !== this.#dev) {
          // renamed away: what was written before the rename is all there is; read it, then end
          this.#ending = 'rotated';
          return this.#pump();
        }
        if (this.#ending !== undefined) return this.#pump();
        this.#arm();
      });
    });
  }

  #arm(): void {
    if (this.#watcher === undefined) {
      try {
        this.#watcher = watch(dirname(this.#path), { persistent: true }, () => this.#wake());
        this.#watcher.on('error', () => { this.#watcher?.close(); });
      } catch {
        this.#watcher = undefined; // the poll alone then
      }
    }
    this.#armed = true;
    this.#timer = setTimeout(() => this.#wake(), this.#o.pollMs);
  }

  #disarm(): void {
    this.#armed = false;
    if (this.#timer !== undefined) { clearTimeout(this.#timer); this.#timer = undefined; }
  }

  /** A change, a poll or a stop: read on if we were waiting (not while the reader is full). */
  #wake(): void {
    if (this.#busy || this.#finished) return;
    if (this.#ending === 'stopped') return this.#finish();
    if (this.#armed || this.#ending !== undefined) this.#pump();
  }

  #finish(size?: number): void {
    if (this.#finished) return;
    this.#finished = true;
    const why = this.#ending ?? 'stopped';
    const at = this.#pos;
    this.#cleanup();
    this.#o.onEnd?.(why, at, size ?? at);
    this.push(null);
  }

  #cleanup(): void {
    this.#disarm();
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#o.signal?.removeEventListener('abort', this.#onAbort);
    if (this.#fd >= 0 && !this.#closed) { this.#closed = true; close(this.#fd, () => {}); }
  }
}
