#!/usr/bin/env node
// The package's command: the compiled CLI (built by `npm run build`, which `npm ci` runs through `prepare`);
// main.bundle.js is dist/cli/main.js with its start-up imports in one file (src/cli/bundle.mjs).
// File writes and fsyncs of concurrent uploads run on libuv's pool; its default of 4 threads would
// queue them. The pool starts on first use, so this must come before the CLI is loaded.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { runCli } = await import('../dist/cli/main.bundle.js');

await runCli(process.argv);
