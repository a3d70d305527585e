#!/usr/bin/env node
// The puretls command line (s_client, s_server, demo). Built code lives in dist/.
import('../dist/cli.js').then((m) => m.main(process.argv.slice(2))).catch((e) => {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('puretls: not built yet; run `npm run build` first\n');
  } else {
    process.stderr.write(`puretls: ${e && e.message ? e.message : e}\n`);
  }
  process.exit(1);
});
