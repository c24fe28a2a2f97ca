// One stream logged twice — smtpd's multilog dir and its splogger copy in the maillog, or a
// `tail -F` pipe restarted over lines it already gave — arrives as identical texts from two
// loggers a few milliseconds apart. Those, and only those, are taken once. Copies are told apart
// by their framing (two loggers frame differently); lines of one framing are never compared with
// each other (multilog stamps the same status line twice in one µs; two files of one multilog
// dir are not copies, even where an inode is reused within milliseconds across the rotation).
// Whether a line is new is never decided by its time: that is the file positions' job.

/** Copies of one stream may disagree on a line's stamp by this much (tee + splogger: ±2.2 ms). */
export const JITTER_US = 50_000;

/** Per stream, its last lines (text, stamp and the framing of the input that gave it), as stored in the state table. */
export type DoublesJSON = Record<string, Array<[string, number, string?]>>;

/** Lines kept per stream for the next run: more than `tail -F` repeats when it starts (10). */
const TAIL = 64;

interface Seen { us: number; group: string }          // group: the framing of the input that gave it
/** The last TAIL lines of a stream, in fixed slots (no allocation per line: this is the hot path). */
class Tail {
  readonly #text: string[] = new Array<string>(TAIL);
  readonly #us = new Float64Array(TAIL);
  readonly #group: string[] = new Array<string>(TAIL);
  #n = 0; // lines ever put

  put(text: string, us: number, group: string): void {
    const i = this.#n++ % TAIL;
    this.#text[i] = text; this.#us[i] = us; this.#group[i] = group;
  }

  toJSON(): Array<[string, number, string]> {
    const out: Array<[string, number, string]> = [];
    for (let k = Math.max(0, this.#n - TAIL); k < this.#n; k++) {
      const i = k % TAIL;
      out.push([this.#text[i]!, this.#us[i]!, this.#group[i]!]);
    }
    return out;
  }
}

interface Recent { newest: number; texts: Map<string, Seen>; tail: Tail; earlier: Map<string, Seen[]> }


export class Doubles {
  readonly #streams = new Map<string, Recent>();

  constructor(saved?: DoublesJSON) {
    for (const [k, list] of Object.entries(saved ?? {})) {
      if (!Array.isArray(list)) continue;
      const earlier = new Map<string, Seen[]>();
      const tail = new Tail();
      for (const [text, us, group] of list.slice(-TAIL)) {
        const seen = { us, group: group ?? '' };
        tail.put(text, us, seen.group);
        const l = earlier.get(text);
        if (l === undefined) earlier.set(text, [seen]); else l.push(seen);
      }
      this.#streams.set(k, { newest: -Infinity, texts: new Map(), tail, earlier });
    }
  }

  /**
   * True when another logger gave this text within the jitter, in this run or just before the
   * last one stopped (a copy's twin may fall on either side of a stop), or, for a stream (a
   * restarted `tail -F … |`), when an earlier run's last lines hold it with the same stamp.
   */
  seen(stream: string, us: number, text: string, group: string, isStream: boolean): boolean {
    let r = this.#streams.get(stream);
    if (r === undefined) {
      r = { newest: us, texts: new Map(), tail: new Tail(), earlier: new Map() };
      this.#streams.set(stream, r);
    } else {
      if (r.earlier.size > 0) {
        const e = r.earlier.get(text);
        const i = e === undefined ? -1 : e.findIndex((x) => Math.abs(x.us - us) <= JITTER_US && (isStream || x.group !== group));
        if (i >= 0) { e!.splice(i, 1); return true; }
      }
      const s = r.texts.get(text);
      if (s !== undefined && s.group !== group && Math.abs(us - s.us) <= JITTER_US) return true;
      r.texts.delete(text); // re-inserted below: the map stays in arrival order for pruning
      if (us > r.newest) r.newest = us;
    }
    r.texts.set(text, { us, group });
    r.tail.put(text, us, group);
    const floor = r.newest - JITTER_US;
    for (const [k, v] of r.texts) {
      if (v.us >= floor) break;
      r.texts.delete(k);
    }
    return false;
  }

  toJSON(): DoublesJSON {
    const out: DoublesJSON = {};
    for (const [k, r] of this.#streams) out[k] = r.tail.toJSON();
    return out;
  }
}
