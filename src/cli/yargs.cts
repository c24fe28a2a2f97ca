// yargs' CommonJS build, for main.ts: its help layout (cliui) wraps with wrap-ansi at word
// boundaries, where the ESM build's cliui cuts words anywhere ("defau lt"). Being CommonJS, this
// file also lets the CLI bundle (scripts/bundle.mjs) take yargs in. `yargs/yargs` is its
// documented entry without the singleton `require('yargs')` builds from process.argv on load.
import yargs = require('yargs/yargs');
export = yargs;
