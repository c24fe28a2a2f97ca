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
/** Lines a stream keeps in this run, for the first line of a second logger to be compared with. */
const RING = 1024;
/** An earlier run's last lines stop being compared this long (log time) after the newest of them. */
const EARLIER_US = 60 * 1_000_000;

const RX_UNPRINTABLE = /[^\x20-\x7e]/;
const RX_UNPRINTABLE_ALL = /[^\x20-\x7e]/g;
/** splogger turns bytes outside 32..126 into '?': copies are compared as splogger would print them. */
function asSplogger(text: string): string {
  return RX_UNPRINTABLE.test(text) ? text.replace(RX_UNPRINTABLE_ALL, '?') : text;
}

interface Seen { us: number; group: string }          // group: the framing of the input that gave it
/** A stream's last lines, in fixed slots (no allocation per line: this is the hot path). */
class Ring {
  readonly #text = new Array<string>(RING);
  readonly #us = new Float64Array(RING);
  readonly #group = new Array<string>(RING);
  #n = 0; // lines ever put

  put(text: string, us: number, group: string): void {
    const i = this.#n++ % RING;
    this.#text[i] = text; this.#us[i] = us; this.#group[i] = group;
  }

  /** The last `max` lines, oldest first, as [text, us, group]. */
  last(max: number): Array<[string, number, string]> {
    const out: Array<[string, number, string]> = [];
    for (let k = Math.max(0, this.#n - Math.min(max, RING)); k < this.#n; k++) {
      const i = k % RING;
      out.push([this.#text[i]!, this.#us[i]!, this.#group[i]!]);
    }
    return out;
  }
}

interface Recent {
  newest: number;
  group: string;                              // the framing of this run's first line of it
  texts: Map<string, Seen> | undefined;       // once a second framing came: the lines within the jitter
  ring: Ring;
  earlier: Map<string, Seen[]> | undefined;   // the last run's last lines, until EARLIER_US past them
  earlierUntil: number;
  plain: boolean;                             // texts are compared as they are (qmail-send's are logsafe)
}

export class Doubles {
  readonly #streams = new Map<string, Recent>();
  readonly #saved = new Map<string, { list: Array<[string, number, string]>; earlier: Map<string, Seen[]>; until: number }>();

  constructor(saved?: DoublesJSON) {
    for (const [k, list] of Object.entries(saved ?? {})) {
      if (!Array.isArray(list) || list.length === 0) continue;
      const earlier = new Map<string, Seen[]>();
      let until = -Infinity;
      const kept: Array<[string, number, string]> = [];
      for (const [text, us, group] of list.slice(-TAIL)) {
        const seen = { us, group: group ?? '' };
        kept.push([text, us, seen.group]);
        if (us > until) until = us;
        const l = earlier.get(text);
        if (l === undefined) earlier.set(text, [seen]); else l.push(seen);
      }
      this.#saved.set(k, { list: kept, earlier, until: until + EARLIER_US });
    }
  }

  /**
   * True when another logger gave this text within the jitter, in this run or just before the
   * last one stopped (a copy's twin may fall on either side of a stop), or, for a stream (a
   * restarted `tail -F … |`), when an earlier run's last lines hold it with the same stamp.
   * `plain`: the program's texts need no splogger normalising (qmail-send logs only 32..126).
   * Lines of one framing are only ever put in a ring: nothing to compare until a second one comes.
   */
  seen(stream: string, us: number, text: string, group: string, isStream: boolean, plain = false): boolean {
    let r = this.#streams.get(stream);
    if (r === undefined) {
      const saved = this.#saved.get(stream);
      r = { newest: us, group, texts: undefined, ring: new Ring(), earlier: saved?.earlier, earlierUntil: saved?.until ?? -Infinity, plain };
      // the last run's lines stay the stream's last lines until this run's replace them
      for (const [t, u, g] of saved?.list ?? []) r.ring.put(t, u, g);
      this.#streams.set(stream, r);
    } else if (us > r.newest) r.newest = us;
    if (r.earlier !== undefined) {
      if (us > r.earlierUntil) r.earlier = undefined;
      else {
        const e = r.earlier.get(plain ? text : asSplogger(text));
        const i = e === undefined ? -1 : e.findIndex((x) => Math.abs(x.us - us) <= JITTER_US && (isStream || x.group !== group));
        if (i >= 0) { e!.splice(i, 1); return true; }
      }
    }
    if (r.texts === undefined && group !== r.group) {
      // a second logger of this stream: from now on its lines are compared within the jitter
      r.texts = new Map();
      for (const [t, u, g] of r.ring.last(RING)) if (u >= us - JITTER_US) r.texts.set(plain ? t : asSplogger(t), { us: u, group: g });
    }
    const texts = r.texts;
    if (texts === undefined) { r.ring.put(text, us, group); return false; }
    const same = plain ? text : asSplogger(text);
    const s = texts.get(same);
    if (s !== undefined && s.group !== group && Math.abs(us - s.us) <= JITTER_US) return true;
    r.ring.put(text, us, group);
    texts.delete(same); // re-inserted below: the map stays in arrival order for pruning
    texts.set(same, { us, group });
    const floor = r.newest - JITTER_US;
    for (const [k, v] of texts) {
      if (v.us >= floor) break;
      texts.delete(k);
    }
    return false;
  }

  toJSON(): DoublesJSON {
    const out: DoublesJSON = {};
    // streams not met in this run keep what the last run left
    for (const [k, v] of this.#saved) {
      if (this.#streams.has(k)) continue;
      out[k] = v.list;
    }
    for (const [k, r] of this.#streams) {
      out[k] = r.ring.last(TAIL).map(([t, u, g]) => [r.plain ? t : asSplogger(t), u, g]);
    }
    return out;
  }
}
