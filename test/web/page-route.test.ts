// The page's route on its own: what it serves from a page directory, and nothing else from the disk.
import fs from 'node:fs/promises';
import path from 'node:path';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { sendError } from '../../src/http/error-handler.js';
import { PAGE_CSP, webRoutes } from '../../src/http/routes/web.js';
import { makeTempDir } from '../support/server.js';

const apps: FastifyInstance[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
});

async function appServing(files: Record<string, string>): Promise<FastifyInstance> {
  const root = await makeTempDir('presscloud-page-');
  dirs.push(root);
  const pageDir = path.join(root, 'web');
  await fs.mkdir(pageDir);
  for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(pageDir, name), text);
  await fs.writeFile(path.join(root, 'secret.json'), '{"not":"served"}');
  const app = Fastify();
  // Only the route's own errors matter here: they are AppErrors, answered in the API's shape.
  app.setErrorHandler((err, _request, reply) => (err instanceof AppError ? sendError(reply, err) : reply.code(500).send(String(err))));
  await app.register(webRoutes(pageDir));
  apps.push(app);
  return app;
}

describe('the page route', () => {
  it('serves index.html at / and the page files under /web/, each under the CSP, HEAD included', async () => {
    const app = await appServing({ 'index.html': '<!doctype html><title>t</title>', 'main.js': 'void 0;', 'page.css': 'body{}' });
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toBe('<!doctype html><title>t</title>');
    expect(page.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const head = await app.inject({ method: 'HEAD', url: '/' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers.etag).toBe(page.headers.etag);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(page.body)));
    const script = await app.inject({ method: 'GET', url: '/web/main.js' });
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['content-security-policy']).toBe(PAGE_CSP);
  });

  it('serves nothing else from the disk: not the page under another name, not a file beside it', async () => {
    const app = await appServing({ 'index.html': '<p>page</p>', 'notes.txt': 'not a page file' });
    for (const url of ['/web/index.html', '/web/notes.txt', '/web/..%2fsecret.json', '/web/%2e%2e/secret.json', '/web/']) {
      const answer = await app.inject({ method: 'GET', url });
      expect(answer.statusCode, url).toBe(404);
      expect(answer.body, url).not.toMatch(/not served|not a page file|<p>page/);
    }
  });

  it("says how to build the page when it is not built, in the API's error shape", async () => {
    const app = await appServing({});
    const answer = await app.inject({ method: 'GET', url: '/' });
    expect(answer.statusCode).toBe(404);
    expect(answer.json()).toEqual({ error: 'not_found', message: 'The browser page is not built: run `npm run build`.' });
  });
});
