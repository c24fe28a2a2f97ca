import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fs } from './sync-fs.js';

let root: string | undefined;

/** The package's root (where package.json is), whether running from src/ or dist/. */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('qtrace: package.json not found above ' + dir);
    dir = up;
  }
  return (root = dir);
}
