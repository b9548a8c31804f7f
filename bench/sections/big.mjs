// 1. Big blob: one large PUT with curl to presscloud, nginx (WebDAV PUT) and tus (creation +
// PATCH), alternating the order each round; median MB/s (1 MB = 10^6 bytes) and server RSS/CPU.
// In the same rounds, the durable limit's other two parts: `dd bs=1M conv=fdatasync` of the file on
// the same filesystem and `openssl dgst -sha256` of it (one core). A server that hashes and fsyncs
// can at best match the slowest of nginx, dd and openssl.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { curlPut } from '../lib/curl.mjs';
import { bigFile } from '../lib/data.mjs';
import { startNginx } from '../lib/nginx.mjs';
import { cpuSeconds, procStatus, run, runOk } from '../lib/proc.mjs';
import * as pcApi from '../lib/presscloud.mjs';
import { startTus, tusUpload } from '../lib/tus.mjs';
import { median } from '../lib/stats.mjs';

export async function big(ctx) {
  const size = ctx.quick ? 128 << 20 : 1 << 30;
  const runs = ctx.quick ? 3 : 3;
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

  let pc;
  try {
    await ctx.presscloudReady();
    pc = await pcApi.startPresscloud(path.join(ctx.work, 'big-presscloud'), { nodeArgs: ctx.profArgs('big') });
    ctx.cleanup(() => pc.stop());
    const session = await pcApi.createSession(
      pc,
      files.map((f, r) => ({ path: `big-${r}.bin`, sha256: f.sha256, size: f.size })),
    );
    targets.push({
      name: 'presscloud',
      pids: () => [pc.pid],
      upload: async (f) => {
        const res = await curlPut(f.file, pcApi.curlBlobArgs(pc, session, f.sha256), { timeoutMs });
        if (res.status !== 200) throw new Error(`presscloud PUT answered ${res.status}: ${res.body.slice(0, 300)}`);
        const j = JSON.parse(res.body);
        if (j.alreadyPresent !== false) throw new Error(`presscloud said alreadyPresent=${j.alreadyPresent} for a new blob`);
        return res.seconds;
      },
      after: async () => {},
      rss: () => [procStatus(pc.pid).vmHWMkB / 1024],
    });
  } catch (err) {
    out.presscloud = { error: err.message };
    ctx.note(`big: presscloud unavailable: ${err.message.split('\n')[0]}`);
  }

  for (const t of targets) out[t.name] = { seconds: [], mbps: [], cpuSeconds: 0 };
  for (let r = 0; r < runs; r++) {
    const order = targets.map((_, i) => targets[(i + r) % targets.length]);
    for (const t of order) {
      await runOk('sync', [], { timeoutMs: 120_000 }); // previous writes are not charged to this run
      const cpu0 = sum(t.pids().map(cpuSeconds));
      const seconds = await t.upload(files[r], r);
      out[t.name].cpuSeconds += sum(t.pids().map(cpuSeconds)) - cpu0;
      out[t.name].seconds.push(seconds);
      out[t.name].mbps.push(size / 1e6 / seconds);
      ctx.log(`big: round ${r + 1}/${runs} ${t.name.padEnd(10)} ${(size / 1e6 / seconds).toFixed(0)} MB/s`);
      await t.after();
    }
  }
  for (const t of targets) {
    const o = out[t.name];
    o.medianMBps = median(o.mbps);
    o.cpuSecondsPerGiB = o.cpuSeconds / ((size * runs) / (1 << 30));
    o.vmHWMMB = t.rss(); // one value per process (nginx: master then workers)
  }
  if (out.presscloud && !out.presscloud.error) out.presscloud.peakRssMB = out.presscloud.vmHWMMB[0];
  const parts = ['nginx', 'dd', 'openssl'].filter((n) => Number.isFinite(out[n]?.medianMBps));
  const slowest = parts.sort((a, b) => out[a].medianMBps - out[b].medianMBps)[0];
  out.durableLimit = slowest ? { by: slowest, medianMBps: out[slowest].medianMBps } : null;
  await Promise.all([nginx.stop(), tus.stop(), pc?.stop()]);
  await rm(path.join(ctx.work, 'big-presscloud'), { recursive: true, force: true });
  return out;
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
