// Several time-ordered sources → one, by time. Each source keeps its own order (a syslog file's
// tags are not globally ordered, so a source is never re-sorted); ties go to the earlier source.
// A source that yields an empty batch is quiet (a live pipe or a followed log with nothing new):
// it is not waited for until it gives lines again, so a quiet smtpd log never holds back qmail-send
// (its next lines are later than anything read so far anyway). When every source is quiet the
// empty batch is passed on, so the pipeline still commits and sees a stop.

/** What the merge needs of an item: its time, or null for a line without one. */
export interface Timed { readonly at: number | null }

interface Head<T> {
  readonly gen: AsyncGenerator<T[]>;
  readonly n: number;
  buf: T[];
  i: number;
  done: boolean;
  quiet: boolean;
  next: Promise<Head<T>> | undefined;   // a pending gen.next(), its result applied by `settle`
  result: IteratorResult<T[]> | undefined;
}

/** k-way merge of time-ordered sources; lines without a time go out as soon as they are seen. */
export async function* mergeByTime<T extends Timed>(sources: AsyncGenerator<T[]>[]): AsyncGenerator<T[]> {
  if (sources.length === 1) {
    yield* sources[0]!;
    return;
  }
  const heads: Head<T>[] = sources.map((gen, n) => ({ gen, n, buf: [], i: 0, done: false, quiet: false, next: undefined, result: undefined }));
  const empty = (h: Head<T>): boolean => h.i >= h.buf.length;
  const ask = (h: Head<T>): void => {
    if (h.next !== undefined || h.done || !empty(h)) return;
    h.next = h.gen.next().then((r) => { h.result = r; return h; });
  };
  const settle = (h: Head<T>): void => {
    const r = h.result!;
    h.next = undefined;
    h.result = undefined;
    if (r.done === true) h.done = true;
    else if (r.value.length === 0) h.quiet = true;
    else { h.buf = r.value; h.i = 0; h.quiet = false; }
  };
  /** Waits for the first pending source to answer. */
  const one = async (): Promise<void> => {
    for (const h of heads) ask(h);
    const pending = heads.filter((h) => h.next !== undefined).map((h) => h.next!);
    if (pending.length > 0) settle(await Promise.race(pending));
  };
  let out: T[] = [];
  for (;;) {
    // a source that has not said it is quiet is waited for: its next line may be the earliest
    while (heads.some((h) => !h.done && !h.quiet && empty(h))) await one();
    let best: Head<T> | undefined;
    let bestAt = Infinity;
    for (const h of heads) {
      if (empty(h)) continue;
      const at = h.buf[h.i]!.at ?? -Infinity;
      if (at < bestAt || best === undefined) { best = h; bestAt = at; }
    }
    if (best === undefined) {
      if (heads.every((h) => h.done)) break;
      // every source that is left is quiet: say so, then wait for any of them
      if (out.length > 0) { yield out; out = []; }
      yield [];
      await one();
      continue;
    }
    out.push(best.buf[best.i++]!);
    if (empty(best)) {
      if (out.length > 0) { yield out; out = []; }
      // answers that came meanwhile (a quiet source that has lines again) are taken in
      for (const h of heads) if (h.next !== undefined && h.result !== undefined) settle(h);
    } else if (out.length >= 4096) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}
