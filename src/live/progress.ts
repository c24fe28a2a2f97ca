// Progress of a long ingest on stderr, when stderr is a terminal: lines, rate, bytes and an ETA.
// One line rewritten in place, at most a few times a second, cleared at the end.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { IngestStats } from '../ingest/pipeline.js';
import type { InputFile } from '../ingest/inputs.js';
import type { IngestObserver } from '../ingest/to-store.js';

export interface ProgressOut {
  write(s: string): unknown;
  readonly columns?: number;
}

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

function eta(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const t = Math.round(s);
  return t >= 3600 ? `${Math.floor(t / 3600)}:${String(Math.floor(t / 60) % 60).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`
    : `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
}

export class Progress {
  readonly #out: ProgressOut;
  readonly #started: number;
  readonly #total: number | null;    // bytes of the inputs, when all are plain files
  readonly #everyMs: number;
  #last = 0;
  #shown = false;
  #bytes = 0;                        // bytes of the lines seen (a line and its newline)
  #seen = 0;                         // lines whose bytes were counted

  constructor(files: readonly InputFile[], out: ProgressOut, now = Date.now(), everyMs = 250) {
    this.#out = out;
    this.#started = now;
    this.#everyMs = everyMs;
    // stdin has no size: then lines and rate only
    this.#total = files.length > 0 && files.every((f) => f.path !== '-') ? files.reduce((s, f) => s + (f.gz ? gzSize(f.path) : f.size), 0) : null;
  }

  /** A line's bytes (events and unknown lines; duplicates are estimated from the mean). */
  line(raw: string): void {
    this.#bytes += raw.length + 1; // characters: bytes for the ASCII logs are, near enough
    this.#seen++;
  }

  /** Skipped files count as done. */
  skipped(f: InputFile): void {
    this.#bytes += f.gz ? gzSize(f.path) : f.size;
  }

  text(stats: Readonly<IngestStats>, now: number): string {
    const secs = Math.max(0.001, (now - this.#started) / 1000);
    const rate = stats.lines / secs;
    const parts = [`${stats.lines.toLocaleString('en-US')} lines`, `${Math.round(rate).toLocaleString('en-US')} lines/s`];
    if (this.#total !== null && this.#total > 0) {
      const mean = this.#seen === 0 ? 0 : this.#bytes / this.#seen;
      const done = Math.min(this.#total, this.#bytes + (stats.lines - this.#seen) * mean);
      const left = (this.#total - done) / (done / secs);
      parts.push(`${mb(done)} of ${mb(this.#total)} (${Math.floor((done / this.#total) * 100)} %)`, `ETA ${eta(left)}`);
    }
    return parts.join(' · ');
  }

  update(stats: Readonly<IngestStats>, now = Date.now()): void {
    if (now - this.#last < this.#everyMs) return;
    this.#last = now;
    const cols = this.#out.columns ?? 0; // 0: a terminal that did not say
    const text = this.text(stats, now);
    this.#out.write(`\r\x1b[K${cols > 20 ? text.slice(0, cols - 1) : text}`);
    this.#shown = true;
  }

  done(): void {
    if (this.#shown) this.#out.write('\r\x1b[K');
    this.#shown = false;
  }
}

/** A gzip file's uncompressed size, from its trailer (ISIZE: mod 2^32, of the last member). */
function gzSize(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 18) return size;
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, size - 4);
    return b.readUInt32LE(0);
  } finally {
    closeSync(fd);
  }
}

/** Progress as an ingest observer: line bytes from the events and unknown lines, a redraw per commit. */
export function progressObserver(files: readonly InputFile[], out: ProgressOut): { observer: IngestObserver; done(): void } {
  const p = new Progress(files, out);
  return {
    observer: {
      onEvent: (_at, _host, _source, _ev, raw) => p.line(raw),
      onFile: (f, skipped) => { if (skipped) p.skipped(f); },
      onCommit: (b, _s, stats) => {
        for (const u of b.unknowns) p.line(u.raw);
        p.update(stats);
      },
    },
    done: () => p.done(),
  };
}
