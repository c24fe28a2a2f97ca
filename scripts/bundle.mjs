// The CLI as one CommonJS file, dist/qtrace.cjs, which bin/qtrace runs (npm run build, after tsc).
// Start-up is most of a `show`: one file, compiled from V8's code cache, spares it resolving,
// reading and compiling ~40 ES modules and yargs' dozen CommonJS files (paired runs: `show ID`
// 2.2× `node -e 0` as modules, 1.9× as a bundle, 1.7× with its code cache). Left outside: better-sqlite3 (a native addon), pino and pino-pretty (their transports
// load files by path in worker threads), luxon and split2 (required only by the commands that use
// them).

import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'qtrace.cjs');
/** bin/qtrace's #! flags: V8 takes a code cache only from a run with the same flags. */
const NODE_FLAGS = /^#!\S+ -S node (.*)$/m.exec(readFileSync(join(root, 'bin', 'qtrace'), 'utf8'))?.[1]?.split(' ') ?? [];

await build({
  entryPoints: [join(root, 'dist', 'src', 'cli', 'main.js')],
  outfile,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'pino', 'pino-pretty', 'luxon', 'split2'],
  // the modules' import.meta.url becomes the bundle's own: paths are found from dist/ as before
  define: { 'import.meta.url': '__qtrace_bundle_url' },
  banner: { js: "const __qtrace_bundle_url = require('node:url').pathToFileURL(__filename).href;" },
  legalComments: 'none',
  logLevel: 'warning',
});
// the reader thread's own (src/ingest/reader-thread.ts): only the parsers and the pipeline, so it starts quickly
await build({
  entryPoints: [join(root, 'dist', 'src', 'ingest', 'reader-main.js')],
  outfile: join(root, 'dist', 'qtrace-reader.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'pino', 'pino-pretty', 'luxon', 'split2'],
  define: { 'import.meta.url': '__qtrace_bundle_url' },
  banner: { js: "const __qtrace_bundle_url = require('node:url').pathToFileURL(__filename).href;" },
  legalComments: 'none',
  logLevel: 'warning',
});
// bin/qtrace runs the bundle as a vm script, which has no loader for a dynamic import()
if (/\bimport\(/.test(readFileSync(outfile, 'utf8'))) throw new Error(`bundle: ${outfile} holds a dynamic import(): import it statically or from a bundled module`);

// The bundle's code cache (bin/qtrace) holds what the run that wrote it compiled: let a `show` of
// the shipped samples write it, the command whose start-up counts. Without one, bin/qtrace writes
// it at the end of its first run, so a failure here costs nothing but that.
const dropCaches = () => {
  for (const f of readdirSync(dirname(outfile))) if (/^qtrace\.cjs\.[0-9a-f]{8}\.cache$/.test(f)) rmSync(join(dirname(outfile), f), { force: true });
};
const tmp = mkdtempSync(join(tmpdir(), 'qtrace-build-'));
try {
  const db = join(tmp, 'samples.db');
  const qtrace = (args) => spawnSync(process.execPath, [...NODE_FLAGS, join(root, 'bin', 'qtrace'), ...args], { stdio: 'ignore' }).status;
  dropCaches(); // a rebuilt bundle's would be refused anyway: not left to lie about
  const ingested = qtrace(['ingest', '--db', db, '--host', 'vm', ...['send', 'smtpd', 'smtpdr'].map((s) => join(root, 'samples', s))]);
  dropCaches();
  if (ingested !== 0 || qtrace(['show', '--db', db, '--qp', '9373']) !== 0) console.warn('bundle: the sample run failed: no code cache made');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
