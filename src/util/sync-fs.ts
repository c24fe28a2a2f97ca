// node:fs for the start-up path, required as CommonJS: an ESM import of node:fs builds its
// namespace by reading every export, and its lazy ReadStream/WriteStream getters then load the
// whole streams stack (~8 ms of a `show`). Modules on the ingest path import node:fs as usual.

import { createRequire } from 'node:module';

export const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
