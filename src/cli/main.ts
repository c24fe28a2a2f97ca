// The CLI only wires flags to the stages. Exit codes: 0 found/done, 1 nothing found, 2 error.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type yargsType from 'yargs';
import { hideBin } from 'yargs/helpers';
import { escapeTerminal } from '../text/escape.js';
import { QtraceError } from '../util/errors.js';
import { packageRoot } from '../util/paths.js';
import { followCommand } from './follow-command.js';
import { ingestCommand } from './ingest-command.js';
import { liveCommand, ShowHelp } from './live-command.js';
import { messagesCommand } from './messages-command.js';
import { noticesCommand } from './notices-command.js';
import { ClosedPipe } from './output.js';
import { showCommand } from './show-command.js';
import { sessionsCommand } from './sessions-command.js';
import { authCommand } from './auth-command.js';
import { reportCommand } from './report-command.js';
import { sqlCommand } from './sql-command.js';
import { checkCommand } from './check-command.js';
import { makeExplainCommand, type ExplainArgv } from './explain-command.js';
import { storeEvidence } from '../query/evidence.js';
import { openDb, resolveDbPath, type Db } from '../store/db.js';

// yargs' CommonJS build: its help layout (cliui) wraps with wrap-ansi at word boundaries; the ESM
// build's cliui cuts words anywhere ("defau lt").
const yargs = createRequire(import.meta.url)('yargs') as typeof yargsType;

let evidenceDb: Db | undefined;

/** explain's log evidence: only when a database is named (--db or $QTRACE_DB) and exists. */
function evidenceFor(flag: string | undefined) {
  const env = process.env['QTRACE_DB'];
  if (flag === undefined && (env === undefined || !existsSync(env))) return undefined; // --db must exist; $QTRACE_DB may not yet
  evidenceDb = openDb(resolveDbPath(flag), { mustExist: true, readonly: true });
  return storeEvidence(evidenceDb);
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
  const y = yargs(hideBin(['node', 'qtrace', ...argv]));
  try {
    await y
      .scriptName('qtrace')
      .usage('qtrace: trace qmail messages through their logs\n\nUsage: $0 <command> [options]\n   or: tail -F /var/log/qmail/current | $0 [options]')
      .command(liveCommand)
      .command(ingestCommand)
      .command(followCommand)
      .command(showCommand)
      .command(messagesCommand)
      .command(sessionsCommand)
      .command(authCommand)
      .command(noticesCommand)
      .command(reportCommand)
      .command(checkCommand)
      .command(sqlCommand)
      .command(makeExplainCommand({ openEvidence: (argv: ExplainArgv) => evidenceFor(argv.db) }))
      .option('debug', { type: 'boolean', describe: 'show stack traces of errors' })
      .strict()
      .fail((msg, err) => {
        if (err !== undefined && err !== null) throw err;
        throw new QtraceError('USAGE', msg, 'see qtrace --help');
      })
      .help()
      .version((JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version)
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
