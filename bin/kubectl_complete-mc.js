#!/usr/bin/env node
// kubectl's plugin completion: on `kubectl mc <TAB>`, kubectl runs
// `kubectl_complete-mc WORDS...` (the words after `mc`, the last one being typed)
// and reads cobra's answer, which `mc complete -- WORDS...` gives.
const { loadCli } = require('./load-cli.js');

const { main, processIO } = loadCli('complete');
main(['complete', '--', ...process.argv.slice(2)], processIO()).then((code) => {
  process.exitCode = code;
});
