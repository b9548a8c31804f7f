// A manifest carries a label for its tenant: the pushed folder's name by default, `push --label` otherwise; the
// API's list and detail answer it, `presscloud manifests` prints it. It is not part of the manifest id.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { usePushFixture } from './push-fixture.js';
import { runCli } from './run-cli.js';

const env = usePushFixture('presscloud-label-');

async function folder(name: string, content: string): Promise<string> {
  const root = path.join(env.workDir, name);
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, 'index.html'), content);
  return root;
}

describe('manifest labels', () => {
  it("are the folder's name by default, --label otherwise, in the API and in presscloud manifests", async () => {
    const auth = ['--url', env.server.url, '--token', env.server.token];
    const byName = await runCli(['push', await folder('my-site', `site ${Date.now()}`), ...auth]);
    expect(byName.exitCode, byName.stderr).toBe(0);
    const named = await runCli(['push', await folder('other', `other ${Date.now()}`), '--label', 'Docs, v2', ...auth]);
    expect(named.exitCode, named.stderr).toBe(0);
    const [siteId, docsId] = [byName.stdout.trim(), named.stdout.trim()];

    expect((await env.client.getManifest(siteId)).label).toBe('my-site');
    const listed = await env.client.listManifests();
    expect(listed.manifests.slice(0, 2).map((m) => [m.manifestId, m.label])).toEqual([
      [docsId, 'Docs, v2'],
      [siteId, 'my-site'],
    ]);

    const table = await runCli(['manifests', ...auth, '--limit', '2']);
    expect(table.stdout.split('\n').slice(0, 3)).toEqual([
      'MANIFEST\tCREATED\tFILES\tBYTES\tLABEL',
      expect.stringMatching(new RegExp(`^${docsId}\\t.*\\tDocs, v2$`)),
      expect.stringMatching(new RegExp(`^${siteId}\\t.*\\tmy-site$`)),
    ]);
  });

  it('refuses a label with control characters as a usage error, before any upload', async () => {
    const run = await runCli(['push', await folder('bad', 'x'), '--label', 'a\tb', '--url', env.server.url, '--token', env.server.token]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe('presscloud: --label: label must be 1 to 200 characters without control characters.\n');
  });
});
