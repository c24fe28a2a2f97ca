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
