// The framing stage, per file: lines → framed items. Each line's stamp and prefix are read by
// parsers/frame.ts; two lines glued by a lost newline are split; splogger's cut lines wait for
// their `+` continuation and are joined to it; a line without a usable time is dated by the line
// before it; in a DST fold, the reading that keeps file order wins. Program rules live elsewhere.

import { splitGlued, type Frame, type FrameContext } from '../../parsers/frame.js';
import { frameLine } from '../../parsers/line.js';

/** splogger cuts a line after this many characters of text and sends the rest as `STAMP+rest`. */
const SPLOGGER_CUT = 799;
/** Stamps outside this range are damage, not time (year 300 000 overflows every date library). */
const MIN_US = Date.UTC(1990, 0, 1) * 1000;
const MAX_US = Date.UTC(9999, 11, 31) * 1000;
/** Lines of one file may step back this much (merged writers) without counting as the fold's second pass. */
const FOLD_SLACK_US = 60 * 1_000_000;

/** One framed line, with where it lies in its file (`end`: the offset after its newline). */
export interface Item<S> {
  raw: string; lineNo: number; end: number; readonly src: S; readonly ctx: FrameContext; frame: Frame; at: number | null;
}

export class Framer<S> {
  lastAt: number | null = null;
  untimed = 0;     // lines dated by the line before them
  joined = 0;      // splogger continuations joined to their line
  readonly #ctx: FrameContext;
  readonly #src: S;
  readonly #none: number;                          // the time of lines before any line that has one
  readonly #held = new Map<string, Item<S>>();     // cut lines waiting, by host|tag

  constructor(ctx: FrameContext, src: S, none: number) {
    this.#ctx = ctx;
    this.#src = src;
    this.#none = none;
  }

  /** Frames one line into `out` (none while it waits for its continuation, two when glued). */
  line(raw: string, lineNo: number, end: number, out: Item<S>[]): void {
    const ctx = this.#ctx;
    let frame = frameLine(raw, ctx);
    if (frame.framing === 'none' && raw.length > 30) {
      const parts = splitGlued(raw);
      if (parts !== undefined) {
        // two lines glued by a lost newline: both are taken, in order, at the second's position
        const first = frameLine(parts[0], ctx);
        const fAt = saneUs(first);
        if (fAt !== undefined) this.lastAt = fAt;
        out.push({ raw: parts[0], lineNo, end, src: this.#src, ctx, frame: first, at: fAt ?? this.lastAt ?? this.#none });
        frame = frameLine(parts[1], ctx);
      }
    }
    let at = saneUs(frame);
    if (at !== undefined && frame.local) at = inOrder(at, this.lastAt, ctx);
    if (at !== undefined) this.lastAt = at;
    else {
      this.untimed++;
      at = this.lastAt ?? this.#none;
    }
    const held = this.#held;
    if (held.size > 0 || frame.text.length === SPLOGGER_CUT) {
      const hk = frame.tag === undefined ? '' : `${frame.host ?? ''}|${frame.tag}`;
      if (frame.continued) {
        const h = held.get(hk);
        if (h !== undefined) {
          held.delete(hk);
          this.joined++;
          h.frame = { ...h.frame, text: h.frame.text + frame.text };
          h.raw = h.raw + '\n' + raw;
          h.end = end;
          h.lineNo = lineNo;
          out.push(h);
          return;
        }
      } else if (held.size > 0) this.flush(out); // what waits goes before any later line: positions only move forward
      const item: Item<S> = { raw, lineNo, end, src: this.#src, ctx, frame, at };
      if (frame.text.length === SPLOGGER_CUT && frame.framing !== 'multilog' && frame.framing !== 'tai64nlocal' && frame.framing !== 'asctime' && frame.framing !== 'svlogd') held.set(hk, item);
      else out.push(item);
      return;
    }
    out.push({ raw, lineNo, end, src: this.#src, ctx, frame, at });
  }

  /** Whatever waits for a continuation that did not come. */
  flush(out: Item<S>[]): void {
    for (const h of this.#held.values()) out.push(h);
    this.#held.clear();
  }

  get holding(): boolean { return this.#held.size > 0; }
}

/** A framed line that no program knew may be two lines glued: the parts, framed, or undefined. */
export function unglue<S>(it: Item<S>): Item<S>[] | undefined {
  if (it.frame.framing === 'none' || it.raw.length < 40) return undefined;
  const parts = splitGlued(it.raw);
  if (parts === undefined) return undefined;
  return parts.map((raw) => {
    const frame = frameLine(raw, it.ctx);
    return { ...it, raw, frame, at: saneUs(frame) ?? it.at };
  });
}

/** Of a local time's readings (two in a DST fold), the earliest not before the line before it. */
function inOrder(at: number, prev: number | null, ctx: FrameContext): number {
  const other = ctx.zone.otherReading?.(at);
  if (other === undefined) return at;
  const floor = prev === null ? -Infinity : prev - FOLD_SLACK_US;
  const ok = [at, other].filter((u) => u >= floor);
  return ok.length === 0 ? at : Math.min(...ok);
}

/** A frame's time, unless it is missing or impossible (then the line takes the time before it). */
function saneUs(f: Frame): number | undefined {
  const us = f.us;
  return us === undefined || us < MIN_US || us > MAX_US ? undefined : us;
}
