// Writing to stdout with back-pressure; a closed pipe (`| head`) ends the command quietly.

export class ClosedPipe extends Error {}

export async function write(s: string): Promise<void> {
  if (process.stdout.destroyed) throw new ClosedPipe();
  if (!process.stdout.write(s)) {
    await new Promise<void>((resolve, reject) => {
      const done = (): void => { process.stdout.off('error', fail); resolve(); };
      const fail = (e: Error): void => { process.stdout.off('drain', done); reject(e); };
      process.stdout.once('drain', done);
      process.stdout.once('error', fail);
    });
  }
}

/** Writes each item as rendered; none at all is exit 1 with a one-line note (grep's convention). */
export async function writeAll<T>(items: Iterable<T>, render: (item: T, index: number) => string, none: string): Promise<void> {
  let n = 0;
  for (const it of items) await write(render(it, n++));
  if (n === 0) {
    process.stderr.write(`qtrace: ${none}\n`);
    process.exitCode = 1;
  }
}
