// Bundles the browser page into dist/web/ with esbuild: the page's script, its hashing worker, the styles and
// the static files. Run by `npm run build:web` (and so by `npm run build`, `npm ci` and `npm test`).
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, '../../dist/web');

/**
 * mime-types (the table `presscloud push` names types with, reused so both give the same manifest id) needs only
 * `extname` from Node's `path`; this hands it an exact port instead of a Node built-in the browser lacks.
 */
const nodePathShim = {
  name: 'node-path-shim',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^(node:)?path$/ }, () => ({ path: path.join(here, 'path-shim.ts') }));
  },
};

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: ['main.ts', 'hash-worker.ts', 'page.css', 'index.html', 'icon.svg'].map((file) => path.join(here, file)),
  outdir,
  bundle: true,
  minify: true,
  // Classic scripts: the page loads with `defer`, the worker without `{ type: 'module' }`, in every browser.
  format: 'iife',
  platform: 'browser',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  loader: { '.html': 'copy', '.svg': 'copy' },
  plugins: [nodePathShim],
  legalComments: 'eof',
  logLevel: 'warning',
});
