// Several time-ordered sources → one, by time. Each source keeps its own order (a syslog file's
// tags are not globally ordered, so a source is never re-sorted); ties go to the earlier source.

/** What the merge needs of an item: its time, or null for a line without one. */
export interface Timed { readonly at: number | null }

/** k-way merge of time-ordered sources; lines without a time go out as soon as they are seen. */
export async function* mergeByTime<T extends Timed>(sources: AsyncGenerator<T[]>[]): AsyncGenerator<T[]> {
  if (sources.length === 1) {
    yield* sources[0]!;
    return;
  }
  interface Head { gen: AsyncGenerator<T[]>; buf: T[]; i: number; done: boolean }
  const heads: Head[] = [];
  for (const gen of sources) {
    const h: Head = { gen, buf: [], i: 0, done: false };
    heads.push(h);
  }
  const refill = async (h: Head): Promise<void> => {
    while (!h.done && h.i >= h.buf.length) {
      const r = await h.gen.next();
      if (r.done === true) h.done = true;
      else { h.buf = r.value; h.i = 0; }
    }
  };
  for (const h of heads) await refill(h);
  let out: T[] = [];
  for (;;) {
    let best: Head | undefined;
    let bestAt = Infinity;
    for (const h of heads) {
      if (h.i >= h.buf.length) continue;
      const at = h.buf[h.i]!.at ?? -Infinity;
      if (at < bestAt || best === undefined) { best = h; bestAt = at; }
    }
    if (best === undefined) break;
    out.push(best.buf[best.i++]!);
    if (best.i >= best.buf.length) {
      if (out.length > 0) { yield out; out = []; }
      await refill(best);
    } else if (out.length >= 4096) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}
