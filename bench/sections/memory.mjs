// 5. Memory: the server's peak RSS while 16 distinct large blobs are PUT at once. Each blob is a
// 16-byte prefix followed by one shared base file, so 16 distinct blobs cost one file on disk.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { loadavg } from 'node:os';
import path from 'node:path';
import { bigFile } from '../lib/data.mjs';
import { cpuSeconds, procStatus, runOk, sampleRss } from '../lib/proc.mjs';
import * as pcApi from '../lib/presscloud.mjs';

/** `env` starts presscloud with other settings (the big section's A/B of the hashing design passes PRESSCLOUD_HASH_WORKERS). */
export async function memory(ctx, { env = {}, label = 'memory' } = {}) {
  const count = 16;
  const baseSize = ctx.quick ? 64 << 20 : 1 << 30;
  const base = await bigFile(path.join(ctx.dataDir, `big-${baseSize}-0.bin`), { seed: ctx.seed, label: 'big-0', size: baseSize });
  const prefixes = Array.from({ length: count }, (_, k) => Buffer.from(`pc-bench-blob-${String(k).padStart(2, '0')}`));
  const blobs = await hashesOf(base, prefixes);
  const size = baseSize + prefixes[0].length;
  const out = { concurrent: count, blobBytes: size };

  await ctx.presscloudReady();
  const dataDir = path.join(ctx.work, `${label}-presscloud`);
  const pc = await pcApi.startPresscloud(dataDir, { nodeArgs: ctx.profArgs(label), env });
  ctx.cleanup(() => pc.stop());
  try {
    const session = await pcApi.createSession(
      pc,
      blobs.map((sha256, k) => ({ path: `big/${k}.bin`, sha256, size })),
    );
    const headers = { ...pcApi.blobHeaders(pc, session), 'content-length': String(size) };
    await runOk('sync', [], { timeoutMs: 120_000 });
    out.idleRssMB = procStatus(pc.pid).vmRSSkB / 1024;
    // Guard: a server that buffers bodies would take 16 GiB of the shared machine; stop it first.
    const limitMB = ctx.quick ? 2048 : 4096;
    const sampler = sampleRss(pc.pid, 50, {
      overMB: limitMB,
      onOver: (mb) => {
        out.stoppedOverLimitMB = limitMB;
        ctx.note(`memory: server RSS reached ${mb.toFixed(0)} MB, over the ${limitMB} MB guard: killed`);
        pc.child.kill('SIGKILL');
      },
    });
    const cpu0 = cpuSeconds(pc.pid);
    const t0 = process.hrtime.bigint();
    const results = await Promise.all(
      blobs.map((sha256, k) =>
        putStream(`${pc.url}${pcApi.blobPath(session, sha256)}`, headers, prefixes[k], base.file, ctx.quick ? 120_000 : 600_000).catch(
          (err) => ({ status: 0, body: err.message }),
        ),
      ),
    );
    out.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    out.loadAvg = loadavg()[0];
    out.serverCpuSeconds = cpuSeconds(pc.pid) - cpu0;
    Object.assign(out, sampler.stop());
    if (out.stoppedOverLimitMB) {
      out.peakRssMB = Math.max(out.sampledPeakRssMB, out.stoppedOverLimitMB);
      return out; // reported as "over the guard"; the PUTs could not finish
    }
    out.peakRssMB = Math.max(out.vmHWMMB, out.sampledPeakRssMB);
    out.aggregateMBps = (count * size) / 1e6 / out.seconds;
    const bad = results.filter((r) => r.status !== 200);
    if (bad.length) throw new Error(`${bad.length} of ${count} PUTs failed: ${bad[0].status} ${bad[0].body.slice(0, 300)}`);
    ctx.log(
      `${label}: ${count} x ${(size / 2 ** 20).toFixed(0)} MiB in ${out.seconds.toFixed(1)} s, peak RSS ${out.peakRssMB.toFixed(0)} MB (load ${out.loadAvg.toFixed(2)})`,
    );
  } finally {
    await pc.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return out;
}

/** sha256 of prefix+base for each prefix, in one pass over base; cached beside it. */
async function hashesOf(base, prefixes) {
  const cache = `${base.file}.prefixed-${prefixes.length}.json`;
  try {
    const c = JSON.parse(await readFile(cache, 'utf8'));
    if (c.base === base.sha256 && c.hashes.length === prefixes.length) return c.hashes;
  } catch {
    /* compute */
  }
  const hs = prefixes.map((p) => createHash('sha256').update(p));
  for await (const chunk of createReadStream(base.file, { highWaterMark: 4 << 20 })) for (const h of hs) h.update(chunk);
  const hashes = hs.map((h) => h.digest('hex'));
  await writeFile(cache, JSON.stringify({ base: base.sha256, hashes }));
  return hashes;
}

function putStream(url, headers, prefix, file, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'PUT', headers, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`PUT timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.write(prefix);
    const src = createReadStream(file, { highWaterMark: 1 << 20 });
    src.on('error', (err) => req.destroy(err));
    src.pipe(req);
  });
}
