// Build step after tsc: dist/cli/main.bundle.js, the CLI's start-up path (dist/cli's static imports and
// commander) in one file, so `presscloud --version` or `push --help` reads one module instead of ~40.
// Everything else (dist/ outside cli/, every dynamic import, other packages) stays an import of the tsc
// output, rewritten relative to dist/cli/: one instance of each shared module, no second copy of the server.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cliDir = path.join(root, 'dist', 'cli');
// Classes checked with instanceof on both sides (main.ts catches CliError thrown by lazily loaded modules).
const SHARED = new Set([path.join(cliDir, 'cli-error.js')]);
const BUNDLED_PACKAGES = new Set(['commander']);

const keepImports = {
  name: 'keep-imports-of-dist',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const relative = args.path.startsWith('.');
      if (!relative) return BUNDLED_PACKAGES.has(args.path) ? undefined : { path: args.path, external: true };
      if (!args.resolveDir.startsWith(path.join(root, 'dist'))) return undefined; // inside a bundled package
      const target = path.resolve(args.resolveDir, args.path);
      const inCli = target.startsWith(cliDir + path.sep);
      if (inCli && args.kind !== 'dynamic-import' && !SHARED.has(target)) return undefined;
      const spec = path.relative(cliDir, target).split(path.sep).join('/');
      return { path: spec.startsWith('.') ? spec : `./${spec}`, external: true };
    });
  },
};

await build({
  entryPoints: [path.join(cliDir, 'main.js')],
  outfile: path.join(cliDir, 'main.bundle.js'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // commander is CommonJS: its require() of node builtins needs a real require in an ES module.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module';\nconst require = __bundleRequire(import.meta.url);" },
  plugins: [keepImports],
  logLevel: 'warning',
});
