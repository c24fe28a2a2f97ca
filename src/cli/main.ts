// The CLI only wires flags to the stages. Exit codes: 0 found/done, 1 nothing found, 2 error.
//
// Start-up is most of a `show`: only the module of the command being run is loaded (with what it
// imports); the others are listed in the help from their heads (commands.ts).

import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { escapeTerminal } from '../text/escape.js';
import { QtraceError } from '../util/errors.js';
import { packageRoot } from '../util/paths.js';
import { fs } from '../util/sync-fs.js';
import { HEADS, ShowHelp, commandsToLoad, type CommandName } from './commands.js';
import { ClosedPipe } from './output.js';
import type { Db } from '../store/db.js';
import yargs from './yargs.cjs';

type Loaded = CommandModule<object, never>;

let evidenceDb: Db | undefined;

/** Each command's module, imported only when it is run (or its --help is asked for). */
const LOAD: Record<CommandName, () => Promise<Loaded>> = {
  live: async () => (await import('./live-command.js')).liveCommand as Loaded,
  ingest: async () => (await import('./ingest-command.js')).ingestCommand as Loaded,
  follow: async () => (await import('./follow-command.js')).followCommand as Loaded,
  show: async () => (await import('./show-command.js')).showCommand as Loaded,
  messages: async () => (await import('./messages-command.js')).messagesCommand as Loaded,
  sessions: async () => (await import('./sessions-command.js')).sessionsCommand as Loaded,
  auth: async () => (await import('./auth-command.js')).authCommand as Loaded,
  notices: async () => (await import('./notices-command.js')).noticesCommand as Loaded,
  report: async () => (await import('./report-command.js')).reportCommand as Loaded,
  check: async () => (await import('./check-command.js')).checkCommand as Loaded,
  sql: async () => (await import('./sql-command.js')).sqlCommand as Loaded,
  explain: async () => {
    const [{ makeExplainCommand }, { storeEvidence }, { openDb, resolveDbPath }] = await Promise.all([
      import('./explain-command.js'), import('../query/evidence.js'), import('../store/db.js')]);
    // explain's log evidence: only when a database is named (--db or $QTRACE_DB) and exists
    return makeExplainCommand({
      openEvidence: (argv) => {
        const env = process.env['QTRACE_DB'];
        if (argv.db === undefined && (env === undefined || !fs.existsSync(env))) return undefined; // --db must exist; $QTRACE_DB may not yet
        evidenceDb = openDb(resolveDbPath(argv.db), { mustExist: true, readonly: true });
        return storeEvidence(evidenceDb);
      },
    }) as Loaded;
  },
};

/**
 * yargs 17 renders the whole help text as soon as a named command's handler has started, in case
 * the handler later asks for it (~10 ms of a `show`). Ours never do: errors are one line and only
 * the default command shows the help. Through yargs' internal methods, so only where they exist.
 */
function skipHelpCache(y: unknown): void {
  type Internal = { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } };
  const usage = (y as Internal).getInternalMethods?.().getUsageInstance?.();
  if (usage !== undefined && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

/** One line on stderr, whatever the message held (yargs' are multi-line; paths and values are the user's). */
function fail(message: string, hint?: string): void {
  const line = (x: string): string => escapeTerminal(x.trim().replace(/:\s*\n\s*/g, ': ').replace(/\s*\n\s*/g, '; '));
  process.stderr.write(`qtrace: ${line(message)}${hint === undefined ? '' : ` (${line(hint)})`}\n`);
  process.exitCode = 2;
}

export async function main(argv: string[]): Promise<void> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  const debug = argv.includes('--debug');
  const y = yargs(argv);
  try {
    const wanted = commandsToLoad(argv);
    const loaded = new Map(await Promise.all(wanted.map(async (n) => [n, await LOAD[n]()] as const)));
    // English whatever $LANG says: yargs would translate its own words only, around English
    // descriptions and errors; one language is what gets pasted into a ticket
    y.scriptName('qtrace').locale('en')
      .usage('qtrace: trace qmail messages through their logs\n\nUsage: $0 <command> [options]\n   or: tail -F /var/log/qmail/current | $0 [options]');
    for (const n of Object.keys(HEADS) as CommandName[]) {
      const full = loaded.get(n);
      if (full !== undefined) y.command(full);
      else y.command(HEADS[n].command, HEADS[n].describe);
    }
    skipHelpCache(y);
    await y
      .option('debug', { type: 'boolean', describe: 'show stack traces of errors' })
      .strict()
      .fail((msg, err) => {
        if (err !== undefined && err !== null) throw err;
        throw new QtraceError('USAGE', msg, 'see qtrace --help');
      })
      .help()
      .version((JSON.parse(fs.readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version)
      .wrap(Math.min(80, process.stdout.columns ?? 80))
      .parseAsync();
  } catch (e) {
    if (e instanceof ClosedPipe) return;
    if (e instanceof ShowHelp) {
      y.showHelp('error');
      process.exitCode = 2;
      return;
    }
    if (debug) process.stderr.write(((e as Error).stack ?? String(e)) + '\n');
    if (e instanceof QtraceError) fail(e.message, e.hint);
    else fail((e as Error).message ?? String(e));
    if (argv[0] === 'check') { // a plugin that cannot run says UNKNOWN, on stdout (Nagios)
      process.stdout.write(`QTRACE UNKNOWN - ${escapeTerminal((e as Error).message.trim().split('\n')[0] ?? '')}\n`);
      process.exitCode = 3;
    }
  } finally {
    evidenceDb?.close();
  }
}
