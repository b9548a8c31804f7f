#!/usr/bin/env node
// The package's command: the compiled CLI (built by `npm run build`, which `npm ci` runs through `prepare`).
import { runCli } from '../dist/cli/main.js';

await runCli(process.argv);
