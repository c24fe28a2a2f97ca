// Each command's name, yargs command string and one-line help, without its code: main.ts loads
// only the module of the command being run (a `show` need not load ingest, pino or the reports),
// and lists the rest from here in `qtrace --help`.

export interface CommandHead { readonly command: string; readonly describe: string }

export const HEADS = {
  live: { command: '$0', describe: 'with stdin a pipe (tail -F current | qtrace): store and print what happens, live' },
  ingest: { command: 'ingest [inputs..]', describe: 'read qmail logs (files, multilog dirs, .gz, - for stdin) into the database' },
  follow: { command: 'follow <paths..>', describe: 'follow multilog dirs (or log files) as they are written: into the database, through rotation and restarts' },
  show: { command: 'show [id]', describe: 'the timeline of a message: every incarnation of that id, newest first (or one, by its key)' },
  messages: { command: 'messages', describe: 'list message timelines, newest first (what happened to mail for bob@ yesterday?)' },
  sessions: { command: 'sessions', describe: 'list SMTP sessions: who connected, what was refused and why, what was queued' },
  auth: { command: 'auth', describe: "authentication events (vpopmail's vchkpw: POP3, IMAP, SMTP AUTH, webmail), with counts per IP and per user" },
  notices: { command: 'notices', describe: 'what qmail itself said (qmail-send alert:/warning:, tcpserver warnings) and what qtrace noticed (restarts, reused ids)' },
  report: { command: 'report', describe: 'a report to mail (text), as data (json), a page (html), or qmailanalog\'s matchup and z* formats' },
  check: { command: 'check', describe: 'a Nagios/Icinga check: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, one line with perfdata' },
  sql: { command: 'sql <query>', describe: 'run a read-only SELECT on the store (the v_* views are the documented interface)' },
  explain: { command: 'explain <address>', describe: 'walk qmail\'s configuration for one address: SMTP acceptance, local/virtual/remote, user, .qmail, permissions' },
} as const satisfies Record<string, CommandHead>;

export type CommandName = keyof typeof HEADS;

/**
 * The commands to load in full: every word of argv that names one (a flag's value that happens to
 * be a command's name only costs a load), and the default command too unless argv begins with a
 * command's name (`tail -F | qtrace --name show` is the default command). The rest are heads only.
 */
export function commandsToLoad(argv: readonly string[]): CommandName[] {
  const named = (Object.keys(HEADS) as CommandName[]).filter((n) => n !== 'live' && argv.includes(n));
  return named.includes(argv[0] as CommandName) ? named : ['live', ...named];
}

/** Thrown by the default command on a terminal: main prints the help. */
export class ShowHelp extends Error {}
