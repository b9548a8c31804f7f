// moto's S3 server (Python, on the machine image) on a free loopback port, for what s3rver lacks: it honours
// If-None-Match on PutObject and CompleteMultipartUpload, and lists and aborts multipart uploads. Every
// request it serves is logged on its stderr, which tests wait on instead of polling.
import net from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { QUIET_SDK_LOGGER, s3ClientConfigFromEnv } from '../../src/storage/blob/s3/config.js';
import { killChild, spawnChild } from './children.js';
import type { RunningS3rver } from './s3rver.js';

export interface RunningMoto extends Omit<RunningS3rver, 'directory'> {
  /** Resolves once moto has logged a request line matching `pattern` (e.g. the first UploadPart). */
  waitForRequest(pattern: RegExp): Promise<void>;
}

export async function startMoto(bucket = 'presscloud-test'): Promise<RunningMoto> {
  const port = await freePort();
  const child = spawnChild('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
  });
  let log = '';
  const listeners = new Set<() => void>();
  const onOutput = (chunk: string) => {
    log += chunk;
    for (const listener of listeners) listener();
  };
  child.stdout.setEncoding('utf8').on('data', onOutput);
  child.stderr.setEncoding('utf8').on('data', onOutput);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(log)) {
          listeners.delete(check);
          resolve();
        } else if (child.exitCode !== null || child.signalCode !== null) {
          listeners.delete(check);
          reject(new Error(`moto exited before logging ${pattern}:\n${log}`));
        }
      };
      listeners.add(check);
      child.once('exit', check);
      check();
    });
  const stop = async () => {
    killChild(child);
    await exited;
  };
  const endpoint = `http://127.0.0.1:${port}`;
  const region = 'us-east-1';
  const credentials = { accessKeyId: 'moto', secretAccessKey: 'moto' };
  try {
    await waitFor(/Running on http:\/\/127\.0\.0\.1/);
    const client = new S3Client({
      ...s3ClientConfigFromEnv({ AWS_ENDPOINT_URL_S3: endpoint, AWS_REGION: region }),
      credentials,
      logger: QUIET_SDK_LOGGER,
    });
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } finally {
      client.destroy();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    endpoint,
    bucket,
    region,
    credentials,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    waitForRequest: waitFor,
    stop,
  };
}

/** A port the kernel just gave out and took back: free unless something else grabs it in between. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
