// Sites: a 4 KiB and a 1 MiB file GET from an alias host (Host: bench.localhost) against nginx serving the
// same bytes from its root, both driven by wrk on loopback; os.loadavg() is recorded beside every figure,
// as the machine may be shared.
import { randomBytes, createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { startNginx } from '../lib/nginx.mjs';
import { run } from '../lib/proc.mjs';
import * as pcApi from '../lib/presscloud.mjs';

const FILES = [
  { name: 'file-4k.bin', size: 4096 },
  { name: 'file-1m.bin', size: 1024 ** 2 },
];
const ALIAS = 'bench';

export async function site(ctx) {
  const seconds = ctx.quick ? 2 : 10;
  const connections = 64;
  const files = FILES.map((f) => ({ ...f, bytes: randomBytes(f.size) }));
  for (const f of files) f.sha256 = createHash('sha256').update(f.bytes).digest('hex');
  const out = { seconds, connections, files: {} };

  const nginx = await startNginx(path.join(ctx.work, 'site-nginx'));
  ctx.cleanup(() => nginx.stop());
  for (const f of files) await writeFile(path.join(nginx.root, f.name), f.bytes);

  await ctx.presscloudReady();
  const pc = await pcApi.startPresscloud(path.join(ctx.work, 'site-presscloud'), {
    nodeArgs: ctx.profArgs('site'),
    scopes: 'upload,read,publish',
  });
  ctx.cleanup(() => pc.stop());
  const manifestId = await publish(pc, files);
  const host = `${ALIAS}.localhost:${new URL(pc.url).port}`;

  for (const f of files) {
    const entry = {};
    // nginx first, then presscloud, each after one warm-up request (presscloud's first read fills its cache).
    entry.nginx = await wrk(`${nginx.url}/${f.name}`, [], connections, seconds, f.size);
    entry.presscloud = await wrk(`${pc.url}/${f.name}`, ['-H', `Host: ${host}`], connections, seconds, f.size);
    entry.ratio = entry.presscloud.reqPerSec / entry.nginx.reqPerSec;
    out.files[f.name] = entry;
    ctx.log(
      `site ${f.name}: presscloud ${entry.presscloud.reqPerSec.toFixed(0)} req/s (load ${entry.presscloud.loadAvg}), ` +
        `nginx ${entry.nginx.reqPerSec.toFixed(0)} req/s (load ${entry.nginx.loadAvg}), ratio ${entry.ratio.toFixed(2)}`,
    );
  }
  out.manifestId = manifestId;
  return out;
}

async function publish(pc, files) {
  const session = await pcApi.createSession(
    pc,
    files.map((f) => ({ path: f.name, sha256: f.sha256, size: f.size })),
  );
  const headers = pcApi.blobHeaders(pc, session);
  for (const f of files) {
    const res = await fetch(`${pc.url}${pcApi.blobPath(session, f.sha256)}`, { method: 'PUT', headers, body: f.bytes });
    if (res.status !== 200) throw new Error(`PUT ${f.name} answered ${res.status}`);
  }
  const done = await pcApi.completeSession(pc, session);
  const manifestId = done.manifest.manifestId;
  const res = await fetch(`${pc.url}/v1/aliases/${ALIAS}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${pc.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ manifestId }),
  });
  if (res.status !== 201) throw new Error(`PUT alias answered ${res.status}: ${await res.text()}`);
  return manifestId;
}

/** wrk GETs of one URL; a warm-up request first, and every answer must be a 200 of the file's size. */
async function wrk(url, extra, connections, seconds, size) {
  const warm = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', ...curlHost(extra), url], {
    timeoutMs: 30_000,
  });
  if (warm.stdout.trim() !== `200 ${size}`) throw new Error(`warm-up GET ${url} answered ${warm.stdout.trim()} ${warm.stderr.slice(-200)}`);
  const r = await run('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', ...extra, url], {
    timeoutMs: (seconds + 30) * 1000,
  });
  const loadAvg = loadavg()[0].toFixed(2);
  if (r.code !== 0) throw new Error(`wrk exited ${r.code}: ${r.stderr.slice(-300)}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  if (non2xx) throw new Error(`wrk saw ${non2xx} non-2xx answers from ${url}`);
  const reqPerSec = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  return { reqPerSec, MBps: (reqPerSec * size) / 1e6, loadAvg };
}

function curlHost(extra) {
  const at = extra.indexOf('-H');
  return at === -1 ? [] : ['-H', extra[at + 1]];
}
