// What each stream already gave: the newest stamp taken and the texts taken at exactly that
// stamp. A line at or before a stream's mark was stored by an earlier run or another input, so
// feeding the same lines twice (a rerun, a pipe and then the file) adds nothing.

/** Per stream (as stored in the state table): the mark's stamp and the texts at that stamp. */
export type MarksJSON = Record<string, { us: number; texts: string[] }>;

interface Mark { us: number; texts: string[]; from: number[] }  // from: the input that gave each text

/** Inputs of earlier runs: whatever they gave is already stored. */
const EARLIER = -1;

export class StreamMarks {
  readonly #marks = new Map<string, Mark>();

  constructor(saved?: MarksJSON) {
    for (const [k, v] of Object.entries(saved ?? {})) {
      this.#marks.set(k, { us: v.us, texts: [...v.texts], from: v.texts.map(() => EARLIER) });
    }
  }

  /**
   * True when this stream already gave this line: older than its mark, or the same text at the
   * mark's very stamp from another input (or an earlier run). One input may repeat a line at one
   * stamp (multilog stamps in µs), so its own repeats are kept.
   */
  seen(stream: string, us: number, text: string, group: number): boolean {
    const h = this.#marks.get(stream);
    if (h === undefined) {
      this.#marks.set(stream, { us, texts: [text], from: [group] });
      return false;
    }
    if (us < h.us) return true;
    if (us === h.us) {
      for (let i = 0; i < h.texts.length; i++) {
        if (h.texts[i] === text && h.from[i] !== group) return true;
      }
      h.texts.push(text);
      h.from.push(group);
      return false;
    }
    h.us = us;
    h.texts.length = 0;
    h.from.length = 0;
    h.texts.push(text);
    h.from.push(group);
    return false;
  }

  toJSON(): MarksJSON {
    const out: MarksJSON = {};
    for (const [k, v] of this.#marks) out[k] = { us: v.us, texts: [...v.texts] };
    return out;
  }
}
