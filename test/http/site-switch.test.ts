// An alias switched 50 times while clients fetch it continuously (both backends): every answer is wholly one
// manifest's file, none is an error, and every request that starts after a PUT is answered serves the new one.
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Api, makeBlob } from '../support/api.js';
import { startServer, type TestServer } from '../support/server.js';
import { allowFor } from '../support/timeouts.js';
import { siteRequest } from '../support/site-client.js';

const SWITCHES = 50;
const READERS = 2;
const PATHS = ['/', '/style.css', '/data.json'];

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startServer();
  api = new Api(server.url, await server.tokenFor('switch', ['upload', 'read', 'publish']));
});
afterAll(async () => {
  await server?.stop();
});

function version(name: string) {
  const body = (path: string) => `${name} ${path} ${'x'.repeat(path.length * 300)}`;
  return [makeBlob('index.html', body('/')), makeBlob('style.css', body('/style.css')), makeBlob('data.json', body('/data.json'))];
}

it(
  'serves one manifest or the other, whole, through 50 switches, and the new one after each PUT',
  async () => {
    const blue = version('blue');
    const green = version('green');
    const manifests = { blue: await api.publish(blue), green: await api.publish(green) };
    expect((await api.request('PUT', '/v1/aliases/live', { body: { manifestId: manifests.blue } })).status).toBe(201);
    const expected = new Map(PATHS.map((path, i) => [path, new Set([blue[i].bytes.toString(), green[i].bytes.toString()])]));

    const agent = new http.Agent({ keepAlive: true, maxSockets: READERS });
    const problems: string[] = [];
    let answers = 0;
    let switching = true;
    const reader = async (offset: number) => {
      for (let i = offset; switching; i++) {
        const path = PATHS[i % PATHS.length];
        const answer = await siteRequest(server.url, 'live.localhost', path, { agent, headers: { 'accept-encoding': 'identity' } });
        answers++;
        if (answer.status !== 200 || !expected.get(path)?.has(answer.text))
          problems.push(`${path}: ${answer.status} ${answer.text.slice(0, 40)}`);
      }
    };
    const readers = Array.from({ length: READERS }, (_, i) => reader(i));

    const stale: string[] = [];
    for (let i = 1; i <= SWITCHES; i++) {
      const name = i % 2 === 1 ? 'green' : 'blue';
      const put = await api.request('PUT', '/v1/aliases/live', { body: { manifestId: manifests[name] } });
      expect(put.status).toBe(200);
      const after = await siteRequest(server.url, 'live.localhost', '/');
      if (!after.text.startsWith(`${name} /`)) stale.push(`switch ${i}: ${after.text.slice(0, 20)}`);
    }
    switching = false;
    await Promise.all(readers);
    agent.destroy();

    expect(problems).toEqual([]);
    expect(stale).toEqual([]);
    expect(answers).toBeGreaterThan(SWITCHES);
    const history = (await (await api.request('GET', '/v1/aliases/live')).json()) as { history: unknown[] };
    expect(history.history).toHaveLength(SWITCHES + 1);
  },
  allowFor(10_000),
); // 50 switches under 2 readers: about 8 s on PostgreSQL + S3
