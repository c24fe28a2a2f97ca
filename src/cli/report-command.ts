import type { CommandModule } from 'yargs';
import { reportHtml } from '../print/report-html.js';
import { reportText } from '../print/report-text.js';
import { buildReport } from '../report/build.js';
import { matchupLines } from '../report/qmailanalog/matchup.js';
import { Z_FORMATS, type ZFormat } from '../report/qmailanalog/zscripts.js';
import { openDb, resolveDbPath } from '../store/db.js';
import { QtraceError } from '../util/errors.js';
import { dbOption, hostOption, sinceOption, styleOf, timeRange, tzOption, untilOption } from './common.js';
import { parseDuration } from './duration.js';
import { write } from './output.js';
import { parseUserTime } from './time.js';
import { HEADS } from './commands.js';

const FORMATS = ['text', 'json', 'html', 'matchup', 'zoverall', 'zddist', 'zfailures', 'zdeferrals', 'zsuccesses',
  'zrecipients', 'zsenders'] as const;

interface Args {
  since?: string; until?: string; host?: string; format: (typeof FORMATS)[number]; stuck: string; queuelifetime: string;
  top: number; now?: string; db?: string; tz?: string;
}

export const reportCommand: CommandModule<object, Args> = {
  ...HEADS.report,
  builder: (y) => y
    .option('since', sinceOption)
    .option('until', untilOption)
    .option('host', hostOption)
    .option('format', { choices: FORMATS, default: 'text' as const, describe: 'what to print' })
    .option('stuck', { type: 'string', default: '1h', describe: 'list messages in the queue longer than this' })
    .option('queuelifetime', { type: 'string', default: '7d', describe: "qmail's control/queuelifetime, to say when stuck mail bounces" })
    .option('top', { type: 'number', default: 10, describe: 'rows in each top list' })
    .option('now', { type: 'string', describe: 'judge stuck messages as of this time instead of the clock (a replayed log)' })
    .option('db', dbOption).option('tz', tzOption)
    .example('$0 report --since yesterday --until today', 'the morning mail')
    .example('$0 report --format zoverall', 'qmailanalog\'s matchup | zoverall') as never,
  handler: async (a) => {
    if (!Number.isInteger(a.top) || a.top < 1) throw new QtraceError('USAGE', `--top must be a positive whole number, not ${a.top}`);
    const range = timeRange(a);
    if (range.since !== undefined && range.until !== undefined && range.since >= range.until) {
      throw new QtraceError('USAGE', `--since (${a.since}) is not before --until (${a.until})`);
    }
    const stuckUs = parseDuration(a.stuck, '--stuck');
    const lifeUs = parseDuration(a.queuelifetime, '--queuelifetime');
    const db = openDb(resolveDbPath(a.db), { mustExist: true, readonly: true });
    try {
      if (a.format === 'matchup' || a.format in Z_FORMATS) {
        const lines = matchupLines(db, { ...range, host: a.host });
        if (a.format !== 'matchup') {
          await write(Z_FORMATS[a.format as ZFormat](lines));
          return;
        }
        let chunk = '';
        for (const l of lines) {
          chunk += l + '\n';
          if (chunk.length > 1 << 16) { await write(chunk); chunk = ''; }
        }
        await write(chunk);
        return;
      }
      const now = a.now === undefined ? undefined : parseUserTime(a.now, a.tz);
      const view = buildReport(db, { ...range, host: a.host, top: a.top, stuckUs, queueLifetimeUs: lifeUs, now });
      const style = { ...styleOf({ tz: a.tz }), color: false }; // a report is mailed or saved: never coloured
      if (a.format === 'json') await write(JSON.stringify(view, null, 2) + '\n');
      else if (a.format === 'html') await write(reportHtml(view, style));
      else await write(reportText(view, style));
    } finally {
      db.close();
    }
  },
};
