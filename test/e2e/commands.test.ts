// main.ts loads only the command being run; the others are listed from their heads. The help and
// the usage errors must read as if every command were loaded.

import { describe, expect, it } from 'vitest';
import { HEADS, commandsToLoad } from '../../src/cli/commands.js';
import { qtrace } from '../helpers/cli.js';

describe('commands loaded on demand', () => {
  it('loads the command named first, and the default command too unless argv begins with a name', () => {
    expect(commandsToLoad(['show', '1442627'])).toEqual(['show']);
    expect(commandsToLoad(['messages', '--to', 'show'])).toEqual(['show', 'messages']);
    expect(commandsToLoad(['--db', 'x.db', 'show', '1'])).toEqual(['live', 'show']);
    expect(commandsToLoad(['--name', 'show'])).toEqual(['live', 'show']); // `tail -F | qtrace --name show`
    expect(commandsToLoad([])).toEqual(['live']);
  });

  it('qtrace --help lists every command with its line, whichever are loaded', () => {
    const r = qtrace(['--help']);
    expect(r.status).toBe(0);
    const flat = r.stdout.replace(/\s+/g, ' ');
    for (const h of Object.values(HEADS)) {
      expect(flat).toContain(h.command === '$0' ? 'qtrace with stdin a pipe' : `qtrace ${h.command}`);
      expect(flat).toContain(h.describe.split(' ').slice(0, 4).join(' '));
    }
    expect(flat).toContain('--format'); // the default command's own options
  });

  it("a command's --help shows its own options; an unknown command or flag is one line, exit 2", () => {
    expect(qtrace(['show', '--help']).stdout).toContain('--qp');
    expect(qtrace(['messages', '--help']).stdout).toContain('--outcome');
    const bad = qtrace(['show', '--bogus']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['qtrace: Unknown argument: bogus (see qtrace --help)']);
    expect(qtrace(['bogus'], { input: '' }).stderr).toContain('Unknown argument: bogus');
  });
});
