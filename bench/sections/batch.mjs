// 6. Many small blobs per request: 4 KiB blobs POSTed to presscloud's batch endpoint in batches of 100
// (multipart/form-data, a few batches in flight), against nginx taking the same blobs as single PUTs over
// 64 keep-alive connections — the transport floor a push of small files is measured against — and
// presscloud's own single PUT. The figure compared is blobs stored per second.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { smallBlobs } from '../lib/data.mjs';
import { putMany } from '../lib/loadgen.mjs';
import { startNginx } from '../lib/nginx.mjs';
import { cpuSeconds } from '../lib/proc.mjs';
import * as pcApi from '../lib/presscloud.mjs';
import { median } from '../lib/stats.mjs';

export async function batch(ctx) {
  const size = 4096;
  const perBatch = 100;
  const putConnections = 64;
  const batchConnections = 4;
  const perRound = ctx.quick ? 1000 : 5000;
  const rounds = ctx.quick ? 1 : 3;
  const warmup = 500;
  const timeoutMs = ctx.quick ? 120_000 : 300_000;
  const out = { blobBytes: size, perBatch, putConnections, batchConnections, perRound, rounds };
  const blobsFor = (name) => smallBlobs({ seed: ctx.seed, label: `batch-${name}`, count: warmup + perRound * rounds, size });

  const nginx = await startNginx(path.join(ctx.work, 'batch-nginx'));
  ctx.cleanup(() => nginx.stop());
  await ctx.presscloudReady();
  const pc = await pcApi.startPresscloud(path.join(ctx.work, 'batch-presscloud'), { nodeArgs: ctx.profArgs('batch') });
  ctx.cleanup(() => pc.stop());

  const nginxBlobs = blobsFor('nginx');
  const putBlobs = blobsFor('presscloud-put');
  const batchBlobs = blobsFor('presscloud-batch');
  const putSession = await sessionFor(pc, putBlobs, size);
  const batchSession = await sessionFor(pc, batchBlobs, size);
  const putHeaders = pcApi.blobHeaders(pc, putSession);
  const targets = [
    {
      name: 'nginx',
      url: nginx.url,
      connections: putConnections,
      pids: () => [nginx.child.pid, ...nginx.workerPids()],
      requests: (from, to) =>
        nginxBlobs.slice(from, to).map((b) => ({
          path: `/batch/${b.sha256.slice(0, 2)}/${b.sha256}`,
          headers: { 'content-type': 'application/octet-stream' },
          body: b.body,
        })),
    },
    {
      name: 'presscloudPut',
      url: pc.url,
      connections: putConnections,
      pids: () => [pc.pid],
      requests: (from, to) =>
        putBlobs.slice(from, to).map((b) => ({ path: pcApi.blobPath(putSession, b.sha256), headers: putHeaders, body: b.body })),
    },
    {
      name: 'presscloudBatch',
      url: pc.url,
      connections: batchConnections,
      pids: () => [pc.pid],
      requests: (from, to) => batchRequests(pc, batchSession, batchBlobs.slice(from, to), perBatch),
    },
  ];

  for (const t of targets) {
    out[t.name] = { rounds: [] };
    const w = await putMany(t.url, t.requests(0, warmup), { connections: t.connections, timeoutMs });
    if (w.failed) throw new Error(`batch: ${t.name} warm-up had ${w.failed} failures (${w.firstError})`);
  }
  for (let r = 0; r < rounds; r++) {
    const order = targets.map((_, i) => targets[(i + r) % targets.length]);
    for (const t of order) {
      const from = warmup + r * perRound;
      const cpu0 = sum(t.pids().map(cpuSeconds));
      const res = await putMany(t.url, t.requests(from, from + perRound), { connections: t.connections, timeoutMs });
      res.serverCpuSeconds = sum(t.pids().map(cpuSeconds)) - cpu0;
      if (res.failed) throw new Error(`batch: ${t.name} had ${res.failed} failures (${res.firstError})`);
      res.blobsPerSec = perRound / res.seconds;
      res.loadAvg1 = loadavg()[0];
      out[t.name].rounds.push(res);
      ctx.log(
        `batch: round ${r + 1}/${rounds} ${t.name.padEnd(16)} ${res.blobsPerSec.toFixed(0)} blobs/s (${res.count} requests, p50 ${res.p50ms.toFixed(1)} ms, load ${res.loadAvg1.toFixed(2)})`,
      );
    }
  }
  for (const t of targets) {
    const o = out[t.name];
    o.blobsPerSec = median(o.rounds.map((x) => x.blobsPerSec));
    o.requestP50ms = median(o.rounds.map((x) => x.p50ms));
    o.serverCpuMsPerBlob = (1000 * sum(o.rounds.map((x) => x.serverCpuSeconds))) / (perRound * rounds);
    o.loadAvg1 = Math.max(...o.rounds.map((x) => x.loadAvg1));
  }
  const status = await (
    await fetch(`${pc.url}/v1/upload-sessions/${batchSession.uploadSessionId}`, { headers: { authorization: `Bearer ${pc.token}` } })
  ).json();
  out.batchSessionStillMissing = status.missing.length;
  if (status.missing.length !== 0) throw new Error(`batch: ${status.missing.length} batched blobs are not stored after the run`);
  await Promise.all([nginx.stop(), pc.stop()]);
  await rm(path.join(ctx.work, 'batch-presscloud'), { recursive: true, force: true });
  await rm(path.join(ctx.work, 'batch-nginx'), { recursive: true, force: true });
  return out;
}

async function sessionFor(pc, blobs, size) {
  const session = await pcApi.createSession(
    pc,
    blobs.map((b, i) => ({ path: `assets/${String(i).padStart(6, '0')}.bin`, sha256: b.sha256, size })),
  );
  if (session.missing?.length !== blobs.length)
    throw new Error(`batch: the session lists ${session.missing?.length} missing blobs, expected ${blobs.length}`);
  return session;
}

/** One POST per `perBatch` blobs, each body built whole in memory (it is the client's side, not measured). */
function batchRequests(pc, session, blobs, perBatch) {
  const requests = [];
  for (let i = 0; i < blobs.length; i += perBatch) {
    const boundary = `bench-${randomBytes(12).toString('hex')}`;
    const pieces = [];
    for (const b of blobs.slice(i, i + perBatch)) {
      pieces.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${b.sha256}"; filename="${b.sha256}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
        ),
        b.body,
        Buffer.from('\r\n'),
      );
    }
    pieces.push(Buffer.from(`--${boundary}--\r\n`));
    requests.push({
      method: 'POST',
      path: `/v1/upload-sessions/${encodeURIComponent(session.uploadSessionId)}/blobs`,
      headers: {
        authorization: `Bearer ${pc.token}`,
        'x-upload-token': session.uploadToken,
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      body: Buffer.concat(pieces),
    });
  }
  return requests;
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
