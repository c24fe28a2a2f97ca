// `qtrace explain <address>`: flags in, explain() out. The log evidence (step 6) comes from the
// caller through `openEvidence`, so this command never opens a database itself.
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { explain, formatExplain } from '../explain/index.js';
import { ExplainUsageError } from '../explain/types.js';
import type { EvidenceSource } from '../explain/types.js';
import { tzOption } from './common.js';
import { ClosedPipe, write } from './output.js';
import { HEADS } from './commands.js';

export interface ExplainArgs {
  address: string;
  root: string | undefined;
  json: boolean;
  passwd: string | undefined;
  sysroot: string | undefined;
  'default-delivery': string | undefined;
  relayclient: boolean;
  patrn: string | undefined;
  db: string | undefined;
  tz: string | undefined;
}

/** The parsed arguments, plus whatever global options (such as a database path) the main CLI adds. */
export type ExplainArgv = ArgumentsCamelCase<ExplainArgs> & { readonly [key: string]: unknown };

export type ExplainCommandDeps = {
  readonly openEvidence?: (argv: ExplainArgv) => EvidenceSource | undefined;
};

function builder(y: Argv): Argv<ExplainArgs> {
  return y
    .positional('address', { type: 'string', demandOption: true, describe: 'recipient address, e.g. user-ext@example.com (a bare name gets defaulthost)' })
    .option('root', { type: 'string', describe: "qmail's home", defaultDescription: '/var/qmail, under --sysroot' })
    .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' })
    .option('passwd', { type: 'string', describe: 'passwd file for user lookups', defaultDescription: '<sysroot>/etc/passwd' })
    .option('sysroot', { type: 'string', describe: 'directory standing for / (homes, /etc/passwd, absolute .qmail paths)', defaultDescription: '/' })
    .option('default-delivery', { type: 'string', describe: "qmail-start's argument (default: read from <root>/rc or <root>/supervise/qmail-send/run)" })
    .option('relayclient', { type: 'boolean', default: false, describe: 'assume the SMTP client has RELAYCLIENT set' })
    .option('patrn', { type: 'string', describe: 'conf-patrn of the qmail build (octal): mode bits that make qmail-local defer', defaultDescription: '002' })
    // Declared so that `openEvidence` can use it; this command never opens the database itself.
    .option('db', { type: 'string', describe: 'SQLite database of ingested logs: adds step 6, the log evidence' })
    .option('tz', { ...tzOption, describe: 'time zone for the log evidence times (IANA name; default: the system zone)' }) as Argv<ExplainArgs>;
}

function parsePatrn(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (!/^[0-7]{1,4}$/.test(s)) throw new ExplainUsageError(`explain: --patrn wants an octal mode such as 022, not "${s}"`);
  return parseInt(s, 8);
}

export function makeExplainCommand(deps: ExplainCommandDeps = {}): CommandModule<object, ExplainArgs> {
  return {
    ...HEADS.explain,
    builder,
    async handler(argv) {
      let text: string;
      try {
        const result = explain(argv.address, {
          root: argv.root,
          sysroot: argv.sysroot,
          passwd: argv.passwd,
          defaultDelivery: argv['default-delivery'],
          relayclient: argv.relayclient,
          patrn: parsePatrn(argv.patrn),
          evidence: deps.openEvidence?.(argv as ExplainArgv),
        });
        text = argv.json ? JSON.stringify(result, null, 2) + '\n' : formatExplain(result, { color: false, zone: argv.tz ?? 'system' });
        process.exitCode = result.exitCode;
      } catch (e) {
        // One line, no stack: usage errors and anything unexpected alike.
        process.stderr.write(`qtrace: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 2;
        return;
      }
      try {
        await write(text);
      } catch (e) {
        if (!(e instanceof ClosedPipe)) throw e;
      }
    },
  };
}

export const explainCommand = makeExplainCommand();
