// A line shape declared as data (lnav style): a name, an anchored pattern with named captures, the
// event it builds and sample lines with their provenance. Every program's parser is a list of these.

/** Named capture groups of a successful match. */
export type Captures = { readonly [name: string]: string | undefined };

export interface Format<E> {
  readonly name: string;
  readonly pattern: RegExp;
  /** May still return undefined when a capture is out of range (a port above 65535): a pattern
   *  match alone never decides the event. */
  readonly build: (g: Captures) => E | undefined;
  readonly samples: readonly string[];
  /** More lines of this shape written from the program's source, beside real `samples` (which keep
   *  the format's provenance 'real'); checked like them. */
  readonly sourceSamples?: readonly string[];
  /** real = every sample is copied from a log in test/lab or test/public (see their PROVENANCE.md);
   *  source = written from the program's format string in its C source (no real line was found);
   *  unverified = the shape as a report (an issue, another tool's parser) quotes it: neither its
   *  source nor a real log was found, so the parser only takes what the report shows. */
  readonly provenance: 'real' | 'source' | 'unverified';
}

/** Run formats in order; the first whose pattern matches and whose build accepts wins. */
export function matchFormats<E>(formats: readonly Format<E>[], text: string): E | undefined {
  for (const f of formats) {
    const m = f.pattern.exec(text);
    if (m !== null) {
      const ev = f.build(m.groups ?? {});
      if (ev !== undefined) return ev;
    }
  }
  return undefined;
}

/** Decimal digits to a safe integer, or undefined (too long / not digits). */
export function toInt(s: string | undefined): number | undefined {
  if (s === undefined || s.length === 0 || s.length > 15) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
