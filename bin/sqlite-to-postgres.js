#!/usr/bin/env node
"use strict";
// Entry point of the `sqlite-to-postgres` command: the compiled CLI (npm run build / prepare).
const { main } = require("../dist/migrate/cli.js");
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`error: ${err && err.message ? err.message : String(err)}\n`); process.exitCode = 1; },
);
