// Ctrl-C or a TERM (a supervisor, the end of `tail -F … |`): the ingest commits what it read and
// stops; the next run continues there. One place for the three commands that read logs.

export interface Stop {
  readonly signal: AbortSignal;
  /** The signal that stopped the run, if one did. */
  by(): NodeJS.Signals | undefined;
  abort(): void;
  /** Stops listening (the run is over). */
  release(): void;
}

export function stopOnSignals(): Stop {
  const c = new AbortController();
  let by: NodeJS.Signals | undefined;
  const on = (sig: NodeJS.Signals): void => { by = sig; c.abort(); };
  process.once('SIGINT', on);
  process.once('SIGTERM', on);
  return {
    signal: c.signal,
    by: () => by,
    abort: () => c.abort(),
    release: () => { process.off('SIGINT', on); process.off('SIGTERM', on); },
  };
}
