// One server, an SDK client on it and a work directory for a file of CLI push tests, all gone after the file.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { PressCloudClient } from '../../src/client/client.js';
import { startServer } from '../support/server.js';

type Server = Awaited<ReturnType<typeof startServer>>;

export interface PushFixture {
  server: Server;
  client: PressCloudClient;
  workDir: string;
}

/** Registers the file's beforeAll/afterAll; the fields are set once beforeAll has run. */
export function usePushFixture(workDirPrefix: string): PushFixture {
  const fixture = {} as PushFixture;
  beforeAll(async () => {
    fixture.server = await startServer({});
    fixture.client = new PressCloudClient({ baseUrl: fixture.server.url, token: fixture.server.token });
    fixture.workDir = await mkdtemp(path.join(tmpdir(), workDirPrefix));
  });
  afterAll(async () => {
    await fixture.client?.close();
    await fixture.server?.stop();
    if (fixture.workDir) await rm(fixture.workDir, { recursive: true, force: true });
  });
  return fixture;
}
