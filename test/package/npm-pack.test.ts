// What npm publishes: the page's bundle is in the package. Outside the browser suite, which needs Chromium;
// this needs only npm, and the build `npm test` runs first (`npm run build`).
import { describe, expect, it } from 'vitest';
import { runProcess } from '../cli/run-cli.js';

describe('the npm package', () => {
  it('ships the page: the bundle is under dist/web/, which npm packs', async () => {
    const pack = await runProcess('npm', ['pack', '--dry-run', '--json', '--ignore-scripts']);
    expect(pack.exitCode, pack.stderr).toBe(0);
    const [{ files }] = JSON.parse(pack.stdout) as Array<{ files: Array<{ path: string }> }>;
    const web = files.map((file) => file.path).filter((file) => file.startsWith('dist/web/'));
    expect(web.sort()).toEqual([
      'dist/web/hash-worker.js',
      'dist/web/icon.svg',
      'dist/web/index.html',
      'dist/web/main.js',
      'dist/web/page.css',
    ]);
  });
});
