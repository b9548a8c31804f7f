// 1. Big blob: one large PUT with curl to presscloud, nginx (WebDAV PUT), tus (creation + PATCH) and a
// naive durable Node server (hash a chunk, write it, one fdatasync, rename), alternating the order each
// rep; MB/s (1 MB = 10^6 bytes) and server RSS/CPU. In the same reps, the durable limit's other two parts:
// `dd bs=1M conv=fdatasync` of the file on the same filesystem and `openssl dgst -sha256` of it (one core).
// A server that hashes and fsyncs can at best match the slowest of nginx, dd and openssl. Ratios are paired
// per rep (the disk's fdatasync rate drifts), then the median taken; each figure carries os.loadavg().
// A/B in the same run: PRESSCLOUD_BENCH_HASH_WORKERS=0,2 runs one presscloud per value of
// PRESSCLOUD_HASH_WORKERS (0, the default, hashes inline); PRESSCLOUD_BENCH_VARIANTS any other settings
// (see benchVariants). Each variant also gets the 16 x 1 GiB peak-RSS run.
import { rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { curlPut } from '../lib/curl.mjs';
import { bigFile } from '../lib/data.mjs';
import { startNginx } from '../lib/nginx.mjs';
import { cpuSeconds, freePort, procStatus, run, runOk, startChild, stopChild, waitForHttp } from '../lib/proc.mjs';
import * as pcApi from '../lib/presscloud.mjs';
import { startTus, tusUpload } from '../lib/tus.mjs';
import { median } from '../lib/stats.mjs';
import { memory } from './memory.mjs';

const NAIVE_SERVER = fileURLToPath(new URL('../naive-durable-server.mjs', import.meta.url));

/**
 * The presscloud designs to compare in one run, each its own server with its own environment:
 * PRESSCLOUD_BENCH_VARIANTS="inline:;workers2:PRESSCLOUD_HASH_WORKERS=2;nosync:PRESSCLOUD_FS_SYNC_EVERY=0"
 * (name:VAR=value,VAR=value;…), or the short form PRESSCLOUD_BENCH_HASH_WORKERS=0,2 (one per worker count).
 */
function benchVariants() {
  const spec = process.env.PRESSCLOUD_BENCH_VARIANTS;
  if (spec) {
    return spec.split(';').map((part) => {
      const [name, settings = ''] = part.split(':');
      const env = Object.fromEntries(
        settings
          .split(',')
          .filter(Boolean)
          .map((kv) => kv.split('=')),
      );
      if (!/^[\w-]+$/.test(name)) throw new Error(`PRESSCLOUD_BENCH_VARIANTS: "${name}" is not a name`);
      return { name: name === 'presscloud' ? name : `presscloud-${name}`, env };
    });
  }
  const values = (process.env.PRESSCLOUD_BENCH_HASH_WORKERS ?? '0').split(',').map((v) => Number(v.trim()));
  if (values.some((v) => !Number.isSafeInteger(v) || v < 0)) throw new Error('PRESSCLOUD_BENCH_HASH_WORKERS: a list of integers, e.g. 0,2');
  return values.map((workers) => ({
    name: workers === 0 ? 'presscloud' : `presscloud-workers${workers}`,
    env: { PRESSCLOUD_HASH_WORKERS: String(workers) },
  }));
}

export async function big(ctx) {
  const size = ctx.quick ? 128 << 20 : 1 << 30;
  const runs = ctx.quick ? 2 : 5;
  const variants = benchVariants();
  const timeoutMs = 180_000;
  const files = [];
  for (let r = 0; r < runs; r++) {
    files.push(await bigFile(path.join(ctx.dataDir, `big-${size}-${r}.bin`), { seed: ctx.seed, label: `big-${r}`, size }));
  }
  const targets = [];
  const out = { sizeBytes: size, runs };

  const nginx = await startNginx(path.join(ctx.work, 'big-nginx'));
  ctx.cleanup(() => nginx.stop());
  targets.push({
    name: 'nginx',
    pids: () => [nginx.child.pid, ...nginx.workerPids()],
    upload: async (f, r) => {
      const res = await curlPut(f.file, [`${nginx.url}/big/run-${r}.bin`], { timeoutMs });
      if (res.status !== 201 && res.status !== 204) throw new Error(`nginx PUT answered ${res.status}`);
      return res.seconds;
    },
    after: async () => rm(path.join(nginx.root, 'big'), { recursive: true, force: true }),
    rss: () => nginx.rss(),
  });

  const tus = await startTus(path.join(ctx.work, 'big-tus'));
  ctx.cleanup(() => tus.stop());
  targets.push({
    name: 'tus',
    pids: () => [tus.child.pid],
    upload: (f) => tusUpload(tus.url, f.file, f.size, { timeoutMs }),
    after: async () => {
      await rm(tus.dir, { recursive: true, force: true });
      await runOk('mkdir', ['-p', tus.dir]);
    },
    rss: () => [procStatus(tus.child.pid).vmHWMkB / 1024],
  });

  const naiveDir = path.join(ctx.work, 'big-naive');
  const naivePort = await freePort();
  const naive = startChild(process.execPath, [NAIVE_SERVER, String(naivePort), naiveDir]);
  ctx.cleanup(() => stopChild(naive));
  await waitForHttp(`http://127.0.0.1:${naivePort}/healthz`, { child: naive, timeoutMs: 15_000, ok: (s) => s === 200 });
  targets.push({
    name: 'naive',
    pids: () => [naive.pid],
    upload: async (f, r) => {
      const res = await curlPut(f.file, [`http://127.0.0.1:${naivePort}/run-${r}.bin`], { timeoutMs });
      if (res.status !== 200 || !res.body.includes(f.sha256))
        throw new Error(`naive PUT answered ${res.status}: ${res.body.slice(0, 300)}`);
      return res.seconds;
    },
    after: async () => rm(naiveDir, { recursive: true, force: true }).then(() => runOk('mkdir', ['-p', naiveDir])),
    rss: () => [procStatus(naive.pid).vmHWMkB / 1024],
  });

  const ddCopy = path.join(ctx.work, 'big-dd.bin');
  targets.push({
    name: 'dd',
    pids: () => [],
    upload: async (f) => {
      const r = await run('dd', [`if=${f.file}`, `of=${ddCopy}`, 'bs=1M', 'conv=fdatasync'], { timeoutMs });
      const seconds = Number(/, ([\d.]+) s,/.exec(r.stderr)?.[1]);
      if (r.code !== 0 || !Number.isFinite(seconds)) throw new Error(`dd failed: ${r.stderr.slice(-300)}`);
      return seconds;
    },
    after: async () => rm(ddCopy, { force: true }),
    rss: () => [],
  });
  targets.push({
    name: 'openssl',
    pids: () => [],
    upload: async (f) => {
      const r = await runOk('openssl', ['dgst', '-sha256', f.file], { timeoutMs });
      if (!r.stdout.includes(f.sha256)) throw new Error(`openssl printed ${r.stdout.trim()}, expected ${f.sha256}`);
      return r.seconds;
    },
    after: async () => {},
    rss: () => [],
  });

  const servers = [];
  for (const variant of variants) {
    try {
      await ctx.presscloudReady();
      const pc = await pcApi.startPresscloud(path.join(ctx.work, `big-${variant.name}`), {
        nodeArgs: ctx.profArgs(`big-${variant.name}`),
        env: variant.env,
      });
      servers.push(pc);
      ctx.cleanup(() => pc.stop());
      const session = await pcApi.createSession(
        pc,
        files.map((f, r) => ({ path: `big-${r}.bin`, sha256: f.sha256, size: f.size })),
      );
      targets.push({
        name: variant.name,
        pids: () => [pc.pid],
        upload: async (f) => {
          const res = await curlPut(f.file, pcApi.curlBlobArgs(pc, session, f.sha256), { timeoutMs });
          if (res.status !== 200) throw new Error(`${variant.name} PUT answered ${res.status}: ${res.body.slice(0, 300)}`);
          const j = JSON.parse(res.body);
          if (j.alreadyPresent !== false) throw new Error(`${variant.name} said alreadyPresent=${j.alreadyPresent} for a new blob`);
          return res.seconds;
        },
        after: async () => {},
        rss: () => [procStatus(pc.pid).vmHWMkB / 1024],
      });
    } catch (err) {
      out[variant.name] = { error: err.message };
      ctx.note(`big: ${variant.name} unavailable: ${err.message.split('\n')[0]}`);
    }
  }

  for (const t of targets) out[t.name] = { seconds: [], mbps: [], loadAvg: [], cpuSeconds: 0 };
  for (let r = 0; r < runs; r++) {
    const order = targets.map((_, i) => targets[(i + r) % targets.length]);
    for (const t of order) {
      await runOk('sync', [], { timeoutMs: 120_000 }); // previous writes are not charged to this run
      const cpu0 = sum(t.pids().map(cpuSeconds));
      const seconds = await t.upload(files[r], r);
      out[t.name].cpuSeconds += sum(t.pids().map(cpuSeconds)) - cpu0;
      out[t.name].seconds.push(seconds);
      out[t.name].mbps.push(size / 1e6 / seconds);
      out[t.name].loadAvg.push(loadavg()[0]);
      ctx.log(`big: rep ${r + 1}/${runs} ${t.name.padEnd(20)} ${(size / 1e6 / seconds).toFixed(0)} MB/s (load ${loadavg()[0].toFixed(2)})`);
      await t.after();
    }
  }
  for (const t of targets) {
    const o = out[t.name];
    o.medianMBps = median(o.mbps);
    o.cpuSecondsPerGiB = o.cpuSeconds / ((size * runs) / (1 << 30));
    o.vmHWMMB = t.rss(); // one value per process (nginx: master then workers)
  }
  const parts = ['nginx', 'dd', 'openssl'].filter((n) => Number.isFinite(out[n]?.medianMBps));
  const slowest = parts.sort((a, b) => out[a].medianMBps - out[b].medianMBps)[0];
  out.durableLimit = slowest ? { by: slowest, medianMBps: out[slowest].medianMBps } : null;
  // Per rep: the limit is that rep's slowest of nginx, dd and openssl.
  const limitOfRep = (r) => Math.min(...['nginx', 'dd', 'openssl'].map((n) => out[n]?.mbps[r] ?? NaN));
  out.variants = variants.map((v) => v.name);
  out.paired = {};
  for (const { name } of variants) {
    const o = out[name];
    if (!o || o.error) continue;
    o.peakRssMB = o.vmHWMMB[0];
    const vs = (baseline) => o.mbps.map((mbps, r) => mbps / baseline(r));
    const pairs = { vsNaive: vs((r) => out.naive?.mbps[r]), vsLimit: vs(limitOfRep), vsTus: vs((r) => out.tus?.mbps[r]) };
    out.paired[name] = {
      ...pairs,
      medianVsNaive: median(pairs.vsNaive),
      medianVsLimit: median(pairs.vsLimit),
      medianVsTus: median(pairs.vsTus),
      loadAvg: o.loadAvg,
    };
    ctx.log(
      `big: ${name} paired medians: ${median(pairs.vsNaive).toFixed(2)}x naive, ${median(pairs.vsLimit).toFixed(2)}x limit, ${median(pairs.vsTus).toFixed(2)}x tus (load ${o.loadAvg.map((l) => l.toFixed(2)).join(' ')})`,
    );
  }
  await Promise.all([nginx.stop(), tus.stop(), stopChild(naive), ...servers.map((pc) => pc.stop())]);
  for (const { name } of variants) await rm(path.join(ctx.work, `big-${name}`), { recursive: true, force: true });
  // Peak RSS with 16 concurrent PUTs of 1 GiB (64 MiB when quick), per hashing design.
  out.concurrent = {};
  for (const { name, env } of variants) {
    out.concurrent[name] = await memory(ctx, { env, label: `big-16x-${name}` }).catch((err) => ({ error: err.message }));
  }
  return out;
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
