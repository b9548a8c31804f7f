// 7. The scale-out path: presscloud on PostgreSQL (127.0.0.1:5432, database test, a schema of its own) with
// blobs in s3rver, against PutObject of the same bytes straight into the same s3rver with the AWS SDK.
// 64 KiB blobs at concurrency 16 (req/s) and 128 MiB blobs one at a time (MB/s), rounds alternating; the
// ratio is taken per round (the same minute of the machine), then its median, with os.loadavg() beside each.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { curlPut } from '../lib/curl.mjs';
import { bigFile, smallBlobs } from '../lib/data.mjs';
import { putMany } from '../lib/loadgen.mjs';
import { cpuSeconds, startChild, stopChild } from '../lib/proc.mjs';
import * as pcApi from '../lib/presscloud.mjs';
import { median } from '../lib/stats.mjs';

const rootRequire = createRequire(path.join(pcApi.root, 'package.json'));
const POSTGRES_URL = process.env.PRESSCLOUD_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const BUCKET = 'presscloud-bench';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export async function s3(ctx) {
  const smallSize = 64 << 10;
  const smallCount = ctx.quick ? 100 : 300;
  const concurrency = 16;
  const bigSize = ctx.quick ? 32 << 20 : 128 << 20;
  const rounds = ctx.quick ? 2 : 5;
  const out = { smallSize, smallCount, concurrency, bigSize, rounds };

  const store = await startStore(path.join(ctx.work, 's3-s3rver'));
  ctx.cleanup(() => stopChild(store.child));
  const schema = await createSchema();
  ctx.cleanup(() => schema.drop());
  await ctx.presscloudReady();
  const pc = await pcApi.startPresscloud(path.join(ctx.work, 's3-presscloud'), {
    nodeArgs: ctx.profArgs('s3'),
    // The blob store as its variable: `token create` takes no --blob-store flag.
    env: { ...store.env, PRESSCLOUD_BLOB_STORE: `s3://${BUCKET}/pc` },
    args: ['--database-url', schema.url],
  });
  ctx.cleanup(() => pc.stop());
  const { S3Client, PutObjectCommand } = rootRequire('@aws-sdk/client-s3');
  // The same client settings as presscloud's (src/storage/blob/s3/config.ts).
  const client = new S3Client({
    endpoint: store.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const put = (Key, Body, ContentLength) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body, ContentLength }));

  const smallPc = [];
  const smallDirect = [];
  const smallLoad = [];
  const cpu = { presscloud: 0, s3rver: 0 };
  for (let r = 0; r < rounds; r++) {
    const pcBlobs = smallBlobs({ seed: ctx.seed, label: `s3-small-pc-${r}`, count: smallCount, size: smallSize });
    const session = await pcApi.createSession(
      pc,
      pcBlobs.map((b) => ({ path: `s/${b.sha256}`, sha256: b.sha256, size: smallSize })),
    );
    const headers = pcApi.blobHeaders(pc, session);
    const requests = pcBlobs.map((b) => ({ path: pcApi.blobPath(session, b.sha256), headers, body: b.body }));
    const directBlobs = smallBlobs({ seed: ctx.seed, label: `s3-small-direct-${r}`, count: smallCount, size: smallSize });
    const runPc = async () => {
      const c0 = cpuSeconds(pc.pid);
      const res = await putMany(pc.url, requests, { connections: concurrency, timeoutMs: 300_000 });
      cpu.presscloud += cpuSeconds(pc.pid) - c0;
      if (res.failed) throw new Error(`presscloud: ${res.failed} of ${res.count} PUTs failed: ${res.firstError}`);
      smallPc.push(res.reqPerSec);
    };
    const runDirect = async () => {
      const t0 = process.hrtime.bigint();
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < directBlobs.length) {
            const b = directBlobs[next++];
            await put(`direct/${b.sha256}`, b.body, smallSize);
          }
        }),
      );
      smallDirect.push(smallCount / (Number(process.hrtime.bigint() - t0) / 1e9));
    };
    for (const step of r % 2 ? [runDirect, runPc] : [runPc, runDirect]) await step();
    smallLoad.push(loadavg()[0]);
    ctx.log(
      `s3: round ${r + 1}/${rounds} ${smallCount} x 64 KiB presscloud ${smallPc.at(-1).toFixed(0)} req/s, direct ${smallDirect.at(-1).toFixed(0)} req/s, ratio ${(smallPc.at(-1) / smallDirect.at(-1)).toFixed(2)} (load ${smallLoad.at(-1).toFixed(2)})`,
    );
  }
  out.small = {
    presscloudReqPerSec: median(smallPc),
    directReqPerSec: median(smallDirect),
    presscloud: smallPc,
    direct: smallDirect,
    pairedMedian: median(smallPc.map((v, r) => v / smallDirect[r])),
    loadAvg: smallLoad,
  };

  const bigPc = [];
  const bigDirect = [];
  const bigLoad = [];
  await mkdir(ctx.dataDir, { recursive: true });
  for (let r = 0; r < rounds; r++) {
    const f = await bigFile(path.join(ctx.dataDir, `s3-big-${bigSize}-${r}.bin`), { seed: ctx.seed, label: `s3-big-${r}`, size: bigSize });
    // A distinct blob for the direct PUT would need a second file; the same bytes under another key are as fair.
    const session = await pcApi.createSession(pc, [{ path: 'big.bin', sha256: f.sha256, size: bigSize }]);
    const runPc = async () => {
      const res = await curlPut(f.file, pcApi.curlBlobArgs(pc, session, f.sha256), { timeoutMs: 300_000 });
      if (res.status !== 200) throw new Error(`presscloud PUT answered ${res.status}: ${res.body.slice(0, 300)}`);
      bigPc.push(bigSize / 1e6 / res.seconds);
    };
    const runDirect = async () => {
      const t0 = process.hrtime.bigint();
      await put(`direct-big/${r}`, createReadStream(f.file), bigSize);
      bigDirect.push(bigSize / 1e6 / (Number(process.hrtime.bigint() - t0) / 1e9));
    };
    for (const step of r % 2 ? [runDirect, runPc] : [runPc, runDirect]) await step();
    bigLoad.push(loadavg()[0]);
    ctx.log(
      `s3: round ${r + 1}/${rounds} ${(bigSize / 2 ** 20).toFixed(0)} MiB presscloud ${bigPc.at(-1).toFixed(0)} MB/s, direct ${bigDirect.at(-1).toFixed(0)} MB/s, ratio ${(bigPc.at(-1) / bigDirect.at(-1)).toFixed(2)} (load ${bigLoad.at(-1).toFixed(2)})`,
    );
  }
  out.big = {
    presscloudMBps: median(bigPc),
    directMBps: median(bigDirect),
    presscloud: bigPc,
    direct: bigDirect,
    pairedMedian: median(bigPc.map((v, r) => v / bigDirect[r])),
    loadAvg: bigLoad,
  };
  out.presscloudCpuMsPerSmallPut = (cpu.presscloud * 1000) / (smallCount * rounds);
  client.destroy();
  await pc.stop();
  await stopChild(store.child);
  await rm(path.join(ctx.work, 's3-presscloud'), { recursive: true, force: true });
  await rm(store.directory, { recursive: true, force: true });
  return out;
}

async function startStore(directory) {
  await mkdir(directory, { recursive: true });
  const script = fileURLToPath(new URL('../lib/s3rver-child.mjs', import.meta.url));
  const child = startChild(process.execPath, [script, directory, BUCKET], { cwd: pcApi.root });
  const port = await announcedPort(child);
  const endpoint = `http://127.0.0.1:${port}`;
  const env = {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  };
  return { child, endpoint, env, directory };
}

/** The port s3rver prints once it listens. */
async function announcedPort(child) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const port = /PORT (\d+)/.exec(child.output)?.[1];
    if (port) return port;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`s3rver did not start: ${child.output.slice(-500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A schema of the bench's own in the shared database, dropped afterwards. */
async function createSchema() {
  const pg = rootRequire('pg');
  const name = `pc_bench_${randomBytes(6).toString('hex')}`;
  const admin = async (sql) => {
    const c = new pg.Client({ connectionString: POSTGRES_URL });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`create schema ${name}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${name}`);
  return { url: url.toString(), drop: () => admin(`drop schema if exists ${name} cascade`) };
}
