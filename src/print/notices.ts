// One line per notice: when, host, level, what was said (escaped: it is log text).

import type { NoticeView } from '../query/notices.js';
import { escapeTerminal as esc } from '../text/escape.js';
import { paint, when, type Color, type Style } from './style.js';

const COLOR: Readonly<Record<string, Color>> = { alert: 'red', warning: 'yellow', qtrace: 'dim' };

export function noticeLine(n: NoticeView, s: Style): string {
  return `${when(n.at, s)}  ${esc(n.host)}  ${paint(s, COLOR[n.level] ?? 'bold', n.level.padEnd(7))}  ${esc(n.text)}\n`;
}
