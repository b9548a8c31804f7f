// Sites served by Host (both backends): path rules, _redirects and _headers, ETag/304, Range, HEAD, br/gzip,
// caching per host kind, HTML errors, and the wall between site hosts and the API's host.
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, makeBlob, type TestBlob } from '../support/api.js';
import { startServer, type TestServer } from '../support/server.js';
import { siteRequest, type SiteAnswer } from '../support/site-client.js';

const filler = (word: string, bytes: number) => `${word} `.repeat(Math.ceil(bytes / (word.length + 1))).slice(0, bytes);
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

const FILES: TestBlob[] = [
  makeBlob('index.html', `<!doctype html><h1>home</h1><p>${filler('home', 600)}</p>`),
  makeBlob('about.html', '<!doctype html><h1>about</h1>'),
  makeBlob('docs/index.html', '<!doctype html><h1>docs</h1>'),
  makeBlob('docs/guide.html', '<!doctype html><h1>guide</h1>'),
  makeBlob('css/style.css', `body { color: #123456; } /* ${filler('style', 2000)} */`),
  makeBlob('img/pixel.png', Buffer.concat([PNG, Buffer.alloc(600, 7)])),
  makeBlob('big.txt', filler('big', 3 * 1024 * 1024)),
  makeBlob('404.html', '<!doctype html><h1>custom not found</h1>'),
  makeBlob(
    '_redirects',
    [
      '# comments and malformed lines are skipped',
      '/old /about 301',
      '/blog/* /posts/:splat 302',
      '/app/* /docs/index.html 200',
      '/users/:id /docs/guide?user=:id 307',
      'this line is malformed',
      '/about /elsewhere 999',
      '',
    ].join('\n'),
  ),
  makeBlob(
    '_headers',
    [
      '/*',
      '  X-Site: yes',
      '/css/*',
      '  Cache-Control: public, max-age=60',
      '/docs/*',
      '  ! X-Site',
      '  X-Docs: 1',
      '  Content-Length: 1',
      '',
    ].join('\n'),
  ),
];
const bytesOf = (path: string) => FILES.find((file) => file.path === path)?.bytes ?? Buffer.alloc(0);
const shaOf = (path: string) => FILES.find((file) => file.path === path)?.sha256 ?? '';

let server: TestServer;
let manifestId: string;
let alias: (path: string, headers?: Record<string, string>, method?: string) => Promise<SiteAnswer>;
let preview: (path: string, headers?: Record<string, string>) => Promise<SiteAnswer>;

beforeAll(async () => {
  server = await startServer();
  const api = new Api(server.url, await server.tokenFor('sites', ['upload', 'read', 'publish']));
  manifestId = await api.publish(FILES);
  expect((await api.request('PUT', '/v1/aliases/shop', { body: { manifestId } })).status).toBe(201);
  alias = (path, headers = {}, method = 'GET') => siteRequest(server.url, 'shop.localhost', path, { headers, method });
  preview = (path, headers = {}) => siteRequest(server.url, `${manifestId.slice(0, 32)}.localhost`, path, { headers });
});
afterAll(async () => {
  await server?.stop();
});

describe('path rules', () => {
  it('serves index.html, clean URLs and directories, with 308s to the canonical path', async () => {
    const home = await alias('/');
    expect([home.status, home.headers['content-type'], home.headers.etag]).toEqual([
      200,
      'text/html; charset=utf-8',
      `"${shaOf('index.html')}"`,
    ]);
    expect(home.body.equals(bytesOf('index.html'))).toBe(true);
    expect(home.headers['x-content-type-options']).toBe('nosniff');
    expect((await alias('/about')).text).toBe('<!doctype html><h1>about</h1>');
    expect((await alias('/docs/')).text).toBe('<!doctype html><h1>docs</h1>');
    expect((await alias('/docs/guide')).text).toBe('<!doctype html><h1>guide</h1>');
    for (const [from, to] of [
      ['/about.html', '/about'],
      ['/index.html', '/'],
      ['/docs', '/docs/'],
      ['/docs/index.html', '/docs/'],
      ['/docs?tab=2', '/docs/?tab=2'],
    ]) {
      const answer = await alias(from);
      expect([answer.status, answer.headers.location], from).toEqual([308, to]);
    }
  });

  it('answers 404.html with status 404, and never serves _redirects or _headers', async () => {
    for (const path of ['/nothing-here', '/_redirects', '/_headers', '/docs/missing/']) {
      const answer = await alias(path);
      expect([answer.status, answer.text], path).toEqual([404, '<!doctype html><h1>custom not found</h1>']);
    }
  });

  it('keeps .., //, NUL, backslashes and bad escapes inside the manifest (4xx, never another file)', async () => {
    for (const path of [
      '/..',
      '/../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/docs/%2E%2E/about',
      '/docs/..%2fabout',
      '//about',
      '/docs//guide',
      '/%00',
      '/about%00.html',
      '/docs%5cguide',
      '/docs\\guide',
      '/%zz',
      '/./about',
    ]) {
      const answer = await alias(path);
      expect(answer.status, path).toBeGreaterThanOrEqual(400);
      expect(answer.status, path).toBeLessThan(500);
      expect(answer.headers['content-type'], path).toBe('text/html; charset=utf-8');
      expect(answer.text, path).not.toContain('<h1>about</h1>');
    }
  });
});

describe('_redirects and _headers', () => {
  it('redirects with splats and placeholders, and rewrites with 200 without any 308', async () => {
    const moved = await alias('/old');
    expect([moved.status, moved.headers.location]).toEqual([301, '/about']);
    const splat = await alias('/blog/2026/hello');
    expect([splat.status, splat.headers.location]).toEqual([302, '/posts/2026/hello']);
    const placeholder = await alias('/users/42');
    expect([placeholder.status, placeholder.headers.location]).toEqual([307, '/docs/guide?user=42']);
    const rewrite = await alias('/app/anything/deep');
    expect([rewrite.status, rewrite.text]).toEqual([200, '<!doctype html><h1>docs</h1>']);
    // _redirects comes before the path rules even where a file exists, and the skipped line did nothing.
    expect((await alias('/about')).status).toBe(200);
  });

  it('sets and removes headers on files, redirects and 404s, but never Content-Length', async () => {
    expect((await alias('/')).headers['x-site']).toBe('yes');
    expect((await alias('/old')).headers['x-site']).toBe('yes');
    expect((await alias('/missing')).headers['x-site']).toBe('yes');
    const docs = await alias('/docs/guide');
    expect([docs.headers['x-site'], docs.headers['x-docs'], docs.headers['content-length']]).toEqual([
      undefined,
      '1',
      String(docs.body.length),
    ]);
    expect((await alias('/css/style.css')).headers['cache-control']).toBe('public, max-age=60');
  });
});

describe('answers', () => {
  it('304 for If-None-Match naming any form of the file; 200 otherwise', async () => {
    const sha = shaOf('index.html');
    for (const tag of [`"${sha}"`, `"${sha}-br"`, `W/"${sha}-gzip"`, `"other", "${sha}"`, '*']) {
      const answer = await alias('/', { 'if-none-match': tag });
      expect([answer.status, answer.body.length], tag).toEqual([304, 0]);
    }
    expect((await alias('/', { 'if-none-match': '"something-else"' })).status).toBe(200);
  });

  it('single ranges on the uncompressed body, 416 past the end, HEAD without a body', async () => {
    const range = await alias('/', { range: 'bytes=0-8', 'accept-encoding': 'br, gzip' });
    expect([range.status, range.text, range.headers['content-range'], range.headers['content-encoding']]).toEqual([
      206,
      '<!doctype',
      `bytes 0-8/${bytesOf('index.html').length}`,
      undefined,
    ]);
    const bigRange = await alias('/big.txt', { range: 'bytes=4-7' });
    expect([bigRange.status, bigRange.text]).toEqual([206, 'big ']);
    const beyond = await alias('/', { range: 'bytes=99999-' });
    expect([beyond.status, beyond.headers['content-range']]).toEqual([416, `bytes */${bytesOf('index.html').length}`]);
    const head = await alias('/css/style.css', {}, 'HEAD');
    expect([head.status, head.headers['content-length'], head.body.length]).toEqual([200, String(bytesOf('css/style.css').length), 0]);
  });

  it('br or gzip for compressible types when accepted, with Vary; never for images', async () => {
    const br = await alias('/css/style.css', { 'accept-encoding': 'gzip, br' });
    expect([br.headers['content-encoding'], br.headers.vary, br.headers.etag]).toEqual([
      'br',
      'Accept-Encoding',
      `"${shaOf('css/style.css')}-br"`,
    ]);
    expect(brotliDecompressSync(br.body).equals(bytesOf('css/style.css'))).toBe(true);
    const gz = await alias('/css/style.css', { 'accept-encoding': 'gzip, br;q=0' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(bytesOf('css/style.css'))).toBe(true);
    const plain = await alias('/css/style.css');
    expect([plain.headers['content-encoding'], plain.body.equals(bytesOf('css/style.css'))]).toEqual([undefined, true]);
    const image = await alias('/img/pixel.png', { 'accept-encoding': 'br, gzip' });
    expect([image.headers['content-encoding'], image.headers['content-type'], image.body.equals(bytesOf('img/pixel.png'))]).toEqual([
      undefined,
      'image/png',
      true,
    ]);
    // Bigger than the in-memory bound: streamed, compressed on the way.
    const big = await alias('/big.txt', { 'accept-encoding': 'gzip' });
    expect([big.status, big.headers['content-encoding']]).toEqual([200, 'gzip']);
    expect(gunzipSync(big.body).equals(bytesOf('big.txt'))).toBe(true);
    const bigPlain = await alias('/big.txt');
    expect(bigPlain.body.equals(bytesOf('big.txt'))).toBe(true);
  });

  it('caches immutably on preview hosts (HTML aside) and revalidates on alias hosts', async () => {
    const revalidate = 'public, max-age=0, must-revalidate';
    expect((await preview('/img/pixel.png')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await preview('/')).headers['cache-control']).toBe(revalidate);
    expect((await alias('/img/pixel.png')).headers['cache-control']).toBe(revalidate);
    expect((await preview('/about')).text).toBe('<!doctype html><h1>about</h1>');
  });
});

describe('site hosts and the API host', () => {
  it('a site host answers only GET and HEAD, as HTML pages, and never the API', async () => {
    const post = await alias('/', {}, 'POST');
    expect([post.status, post.headers.allow, post.headers['content-type']]).toEqual([405, 'GET, HEAD', 'text/html; charset=utf-8']);
    for (const path of ['/healthz', '/v1/manifests', '/openapi.json', `/v1/blobs/${shaOf('index.html')}`]) {
      const answer = await alias(path);
      expect([answer.status, answer.headers['content-type']], path).toEqual([404, 'text/html; charset=utf-8']);
    }
    expect((await siteRequest(server.url, 'SHOP.LOCALHOST', '/about')).text).toBe('<!doctype html><h1>about</h1>');
  });

  it('unknown aliases and preview prefixes are 404; other hosts are the API and never serve a site', async () => {
    for (const host of ['nobody.localhost', `${'0'.repeat(32)}.localhost`, '-bad-.localhost']) {
      const answer = await siteRequest(server.url, host, '/');
      expect([answer.status, answer.headers['content-type']], host).toEqual([404, 'text/html; charset=utf-8']);
    }
    for (const host of ['localhost', '127.0.0.1', 'a.shop.localhost', 'shop.example.com']) {
      const health = await siteRequest(server.url, host, '/healthz');
      expect([health.status, health.text], host).toEqual([200, '{"status":"ok"}']);
      const root = await siteRequest(server.url, host, '/about');
      expect(root.text, host).not.toContain('<h1>about</h1>');
    }
  });
});
