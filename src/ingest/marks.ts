// What each stream already gave: its newest stamp, and the texts it gave in the last few
// milliseconds. A line at or before a stream's mark was stored by an earlier run or another
// input, so feeding the same lines twice adds nothing: a rerun, a pipe and then the file, or a
// stream logged twice (smtpd's multilog dir and its splogger copy, whose stamps differ by ±2 ms).

/** Copies of one stream may disagree on a line's stamp by this much (tee + splogger: ±2.2 ms). */
export const JITTER_US = 50_000;

/** Per stream, as stored in the state table: the mark and the recent texts with their stamps. */
export type MarksJSON = Record<string, { us: number; recent: Array<[string, number]> }>;

interface Seen { us: number; group: number }          // group: the input that gave it
interface Mark { us: number; saved: number; recent: Map<string, Seen> } // saved: the mark an earlier run left

/** Inputs of earlier runs: whatever they gave is already stored. */
const EARLIER = -1;

export class StreamMarks {
  readonly #marks = new Map<string, Mark>();

  constructor(saved?: MarksJSON) {
    for (const [k, v] of Object.entries(saved ?? {})) {
      const recent = new Map<string, Seen>();
      for (const [text, us] of v.recent ?? []) recent.set(text, { us, group: EARLIER });
      this.#marks.set(k, { us: v.us, saved: v.us, recent });
    }
  }

  /**
   * True when this stream already gave this line: older than its mark (beyond the jitter), or
   * the same text within the jitter from another input or an earlier run. An input's own
   * repeats (multilog stamps the same status line twice in one µs) are kept.
   */
  seen(stream: string, us: number, text: string, group: number): boolean {
    let m = this.#marks.get(stream);
    if (m === undefined) {
      m = { us, saved: -Infinity, recent: new Map() };
      this.#marks.set(stream, m);
    } else {
      if (us < m.us - JITTER_US) return true;
      const r = m.recent.get(text);
      // An earlier run saw nothing after its mark: past it, a recurring text (a status line, a
      // `250 ok` reply) is new. Within this run, another input's copy may be a little later.
      if (r !== undefined && r.group !== group && Math.abs(us - r.us) <= JITTER_US &&
        (r.group !== EARLIER || us <= m.saved)) return true;
      if (us > m.us) m.us = us;
      m.recent.delete(text); // re-inserted below: the map stays in time order for pruning
    }
    m.recent.set(text, { us, group });
    const floor = m.us - JITTER_US;
    for (const [k, v] of m.recent) {
      if (v.us >= floor) break;
      m.recent.delete(k);
    }
    return false;
  }

  toJSON(): MarksJSON {
    const out: MarksJSON = {};
    for (const [k, v] of this.#marks) {
      const recent: Array<[string, number]> = [];
      for (const [text, s] of v.recent) recent.push([text, s.us]);
      out[k] = { us: v.us, recent };
    }
    return out;
  }
}
