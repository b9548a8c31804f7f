// 2. Small blobs: 4 KiB PUTs over 64 keep-alive connections, the same undici generator for
// presscloud (each PUT a distinct blob of one session's manifest) and nginx (distinct paths); then GETs of
// the same 4 KiB blobs (presscloud's GET /v1/blobs, nginx serving the files it was sent). Every figure is
// logged with the 1-minute load average beside it.
import { rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { smallBlobs } from '../lib/data.mjs';
import { putMany } from '../lib/loadgen.mjs';
import { startNginx } from '../lib/nginx.mjs';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, run } from '../lib/proc.mjs';
import * as pcApi from '../lib/presscloud.mjs';
import { median } from '../lib/stats.mjs';

export async function small(ctx) {
  const size = 4096;
  const connections = 64;
  const warmup = ctx.quick ? 200 : 500;
  const perRound = ctx.quick ? 1000 : 3000;
  const rounds = ctx.quick ? 1 : 3;
  const timeoutMs = ctx.quick ? 120_000 : 300_000;
  const out = { blobBytes: size, connections, warmup, perRound, rounds };
  const blobsFor = (name) => smallBlobs({ seed: ctx.seed, label: `small-${name}`, count: warmup + perRound * rounds, size });
  const targets = [];

  const nginx = await startNginx(path.join(ctx.work, 'small-nginx'));
  ctx.cleanup(() => nginx.stop());
  {
    const blobs = blobsFor('nginx');
    targets.push({
      name: 'nginx',
      url: nginx.url,
      pids: () => [nginx.child.pid, ...nginx.workerPids()],
      gets: (from, to) => blobs.slice(from, to).map((b) => ({ method: 'GET', path: `/small/${b.sha256.slice(0, 2)}/${b.sha256}` })),
      requests: (from, to) =>
        blobs.slice(from, to).map((b) => ({
          path: `/small/${b.sha256.slice(0, 2)}/${b.sha256}`,
          headers: { 'content-type': 'application/octet-stream' },
          body: b.body,
        })),
    });
  }

  let pc;
  try {
    await ctx.presscloudReady();
    pc = await pcApi.startPresscloud(path.join(ctx.work, 'small-presscloud'), { nodeArgs: ctx.profArgs('small') });
    ctx.cleanup(() => pc.stop());
    const blobs = blobsFor('presscloud');
    const session = await pcApi.createSession(
      pc,
      blobs.map((b, i) => ({ path: `assets/${String(i).padStart(6, '0')}.bin`, sha256: b.sha256, size })),
    );
    if (session.missing?.length !== blobs.length)
      throw new Error(`session lists ${session.missing?.length} missing blobs, expected ${blobs.length}`);
    const headers = pcApi.blobHeaders(pc, session);
    targets.push({
      name: 'presscloud',
      url: pc.url,
      pids: () => [pc.pid],
      gets: (from, to) =>
        blobs
          .slice(from, to)
          .map((b) => ({ method: 'GET', path: `/v1/blobs/${b.sha256}`, headers: { authorization: `Bearer ${pc.token}` } })),
      requests: (from, to) => blobs.slice(from, to).map((b) => ({ path: pcApi.blobPath(session, b.sha256), headers, body: b.body })),
    });
  } catch (err) {
    out.presscloud = { error: err.message };
    ctx.note(`small: presscloud unavailable: ${err.message.split('\n')[0]}`);
  }

  for (const t of targets) {
    out[t.name] = { rounds: [] };
    const w = await putMany(t.url, t.requests(0, warmup), { connections, timeoutMs });
    if (w.failed) throw new Error(`small: ${t.name} warm-up had ${w.failed} failures (${w.firstError})`);
  }
  for (let r = 0; r < rounds; r++) {
    const order = targets.map((_, i) => targets[(i + r) % targets.length]);
    for (const t of order) {
      const from = warmup + r * perRound;
      const reqs = t.requests(from, from + perRound);
      const cpu0 = sum(t.pids().map(cpuSeconds));
      const res = await putMany(t.url, reqs, { connections, timeoutMs });
      res.serverCpuSeconds = sum(t.pids().map(cpuSeconds)) - cpu0;
      if (res.failed) throw new Error(`small: ${t.name} had ${res.failed} failures (${res.firstError})`);
      res.loadAvg1 = loadavg()[0];
      out[t.name].rounds.push(res);
      ctx.log(
        `small: round ${r + 1}/${rounds} ${t.name.padEnd(10)} ${res.reqPerSec.toFixed(0)} req/s p50 ${res.p50ms.toFixed(1)} ms p99 ${res.p99ms.toFixed(1)} ms (load ${res.loadAvg1.toFixed(2)})`,
      );
    }
  }
  // GETs of blobs stored above (each blob read once a round), the targets taking turns first as for the PUTs.
  for (const t of targets) out[t.name].getRounds = [];
  for (let r = 0; r < rounds; r++) {
    const order = targets.map((_, i) => targets[(i + r) % targets.length]);
    for (const t of order) {
      const from = warmup + r * perRound;
      const cpu0 = sum(t.pids().map(cpuSeconds));
      const res = await putMany(t.url, t.gets(from, from + perRound), { connections, timeoutMs });
      res.serverCpuSeconds = sum(t.pids().map(cpuSeconds)) - cpu0;
      if (res.failed) throw new Error(`small: ${t.name} GET had ${res.failed} failures (${res.firstError})`);
      res.loadAvg1 = loadavg()[0];
      out[t.name].getRounds.push(res);
      ctx.log(
        `small: GET round ${r + 1}/${rounds} ${t.name.padEnd(10)} ${res.reqPerSec.toFixed(0)} req/s p50 ${res.p50ms.toFixed(1)} ms p99 ${res.p99ms.toFixed(1)} ms (load ${res.loadAvg1.toFixed(2)})`,
      );
    }
  }
  for (const t of targets) {
    const o = out[t.name];
    o.reqPerSec = median(o.rounds.map((x) => x.reqPerSec));
    o.p50ms = median(o.rounds.map((x) => x.p50ms));
    o.p99ms = median(o.rounds.map((x) => x.p99ms));
    o.serverCpuMsPerReq = (1000 * sum(o.rounds.map((x) => x.serverCpuSeconds))) / (perRound * rounds);
    o.loadAvg1 = Math.max(...o.rounds.map((x) => x.loadAvg1));
    o.get = {
      reqPerSec: median(o.getRounds.map((x) => x.reqPerSec)),
      p50ms: median(o.getRounds.map((x) => x.p50ms)),
      p99ms: median(o.getRounds.map((x) => x.p99ms)),
      serverCpuMsPerReq: (1000 * sum(o.getRounds.map((x) => x.serverCpuSeconds))) / (perRound * rounds),
      loadAvg1: Math.max(...o.getRounds.map((x) => x.loadAvg1)),
    };
  }
  out.nginxWrk = await wrkNginx(nginx.url, connections, ctx.quick ? 3 : 5).catch((err) => ({ error: err.message }));
  if (out.nginxWrk.reqPerSec) ctx.log(`small: nginx with wrk (generator check) ${out.nginxWrk.reqPerSec.toFixed(0)} req/s`);
  await Promise.all([nginx.stop(), pc?.stop()]);
  await rm(path.join(ctx.work, 'small-presscloud'), { recursive: true, force: true });
  await rm(path.join(ctx.work, 'small-nginx'), { recursive: true, force: true });
  return out;
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);

/** wrk against nginx, to show how far the Node generator is from the server's own limit. */
async function wrkNginx(url, connections, seconds) {
  const script = fileURLToPath(new URL('../lib/wrk-put.lua', import.meta.url));
  const r = await run('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url], {
    timeoutMs: (seconds + 30) * 1000,
  });
  if (r.code !== 0) throw new Error(`wrk exited ${r.code}: ${r.stderr.slice(-300)}`);
  const ms = (label) => {
    const m = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)\\b`, 'm').exec(r.stdout);
    return m ? Number(m[1]) * { us: 1e-3, ms: 1, s: 1e3 }[m[2]] : NaN;
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  if (non2xx) throw new Error(`wrk saw ${non2xx} non-2xx answers`);
  return { seconds, reqPerSec: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]), p50ms: ms('50%'), p99ms: ms('99%') };
}
