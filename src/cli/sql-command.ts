import type { CommandModule } from 'yargs';
import { alignedTable, csvRow, ndjsonRow } from '../print/table.js';
import { runSql } from '../query/sql.js';
import { openDb, resolveDbPath } from '../store/db.js';
import { QtraceError } from '../util/errors.js';
import { dbOption } from './common.js';
import { write } from './output.js';
import { HEADS } from './commands.js';

interface Args { query: string; json: boolean; csv: boolean; db?: string }

export const sqlCommand: CommandModule<object, Args> = {
  ...HEADS.sql,
  builder: (y) => y
    .positional('query', { type: 'string', describe: 'one SELECT (or a read-only PRAGMA)' })
    .option('json', { type: 'boolean', default: false, describe: 'NDJSON, one object per row' })
    .option('csv', { type: 'boolean', default: false, describe: 'CSV with a header line (RFC 4180)' })
    .option('db', dbOption)
    .example('$0 sql "SELECT recipient, count(*) FROM v_recipients WHERE outcome = \'failed\' GROUP BY 1 ORDER BY 2 DESC LIMIT 10"', '') as never,
  handler: async (a) => {
    if (a.json && a.csv) throw new QtraceError('USAGE', '--json and --csv exclude each other');
    const db = openDb(resolveDbPath(a.db), { mustExist: true, readonly: true });
    try {
      const { columns, rows } = runSql(db, String(a.query));
      let n = 0;
      if (a.json) for (const r of rows) { await write(ndjsonRow(columns, r)); n++; }
      else if (a.csv) {
        await write(csvRow(columns));
        for (const r of rows) { await write(csvRow(r)); n++; }
      } else {
        const all = [...rows];
        n = all.length;
        await write(alignedTable(columns, all));
      }
      if (n === 0) { process.stderr.write('qtrace: no rows\n'); process.exitCode = 1; }
    } finally {
      db.close();
    }
  },
};
