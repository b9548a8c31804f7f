// s3rver, an S3 protocol server, on a free loopback port with its own temp directory. Nothing global is
// set: callers build their clients (or a child process's environment) from what startS3rver returns.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

export interface RunningS3rver {
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  /** The fixed pair s3rver accepts. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The same settings as the AWS SDK's variables, for a `presscloud serve --blob-store s3://…` child process. */
  readonly env: Readonly<Record<string, string>>;
  /** The directory s3rver keeps its buckets in. */
  readonly directory: string;
  stop(): Promise<void>;
}

export async function startS3rver(bucket = 'presscloud-test'): Promise<RunningS3rver> {
  const directory = await mkdtemp(path.join(tmpdir(), 'presscloud-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const region = 'us-east-1';
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
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
    directory,
    async stop() {
      try {
        await server.close();
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    },
  };
}
