// The report's add-on counts (migration 006): authentication failures with the IPs and users that
// failed most, scan verdicts, Plesk handler refusals — for the window and host of the report.

import type { Db } from '../store/db.js';
import type { Counted, ReportView } from './view.js';

export function addonsOf(db: Db, since: number, until: number, host: string | undefined, top: number): ReportView['addons'] {
  const w = `at_us >= ? AND at_us < ?${host === undefined ? '' : ' AND host = ?'}`;
  const args = host === undefined ? [since, until] : [since, until, host];
  const counted = (sql: string): Counted[] =>
    (db.prepare(sql).all(...args) as Array<{ key: string; n: number }>).map((r) => ({ key: r.key, count: r.n, bytes: 0 }));
  const t = db.prepare(`SELECT count(*) AS n, coalesce(sum(outcome <> 'success'), 0) AS failed FROM auth_events WHERE ${w}`)
    .get(...args) as { n: number; failed: number };
  const fail = `FROM auth_events WHERE ${w} AND outcome <> 'success'`;
  return {
    auth: {
      events: t.n, failed: t.failed,
      failed_by_ip: counted(`SELECT ip AS key, count(*) AS n ${fail} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${top}`),
      failed_by_user: counted(`SELECT CASE WHEN domain = '' THEN user ELSE user || '@' || domain END AS key, count(*) AS n ${fail}
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${top}`),
      failed_by_outcome: counted(`SELECT outcome AS key, count(*) AS n ${fail} GROUP BY 1 ORDER BY 2 DESC, 1`),
    },
    scans: counted(`SELECT verdict AS key, count(*) AS n FROM scan_verdicts WHERE ${w} GROUP BY 1 ORDER BY 2 DESC, 1`),
    refusals: counted(`SELECT verdict || ' by ' || handler AS key, count(*) AS n FROM refusals WHERE ${w} GROUP BY 1 ORDER BY 2 DESC, 1`),
  };
}
