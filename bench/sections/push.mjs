// 3. Push: `presscloud push` of a generated tree, cold (empty server) then warm (unchanged tree
// again), against `rclone copy` of the same tree to nginx WebDAV, cold then warm.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { siteTree } from '../lib/data.mjs';
import { startNginx } from '../lib/nginx.mjs';
import { putMany } from '../lib/loadgen.mjs';
import { run, runOk } from '../lib/proc.mjs';
import * as pcApi from '../lib/presscloud.mjs';

export async function push(ctx) {
  const files = ctx.quick ? 500 : 10_000;
  const concurrency = ctx.concurrency;
  const timeoutMs = ctx.quick ? 120_000 : 900_000;
  const tree = await siteTree(path.join(ctx.dataDir, `site-${files}`), { seed: ctx.seed, files });
  const out = { files, totalBytes: tree.totalBytes, concurrency };
  ctx.log(`push: tree of ${files} files, ${(tree.totalBytes / 1e6).toFixed(1)} MB`);

  const nginx = await startNginx(path.join(ctx.work, 'push-nginx'));
  ctx.cleanup(() => nginx.stop());
  const rcloneConf = path.join(ctx.work, 'rclone.conf');
  await writeFile(rcloneConf, ''); // no config in $HOME: the remote is given by flags
  const rclone = async () => {
    const r = await runOk(
      'rclone',
      [
        'copy',
        tree.dir,
        ':webdav:site',
        '--webdav-url',
        nginx.url,
        '--webdav-vendor',
        'other',
        '--transfers',
        String(concurrency),
        '--checkers',
        String(concurrency),
        '--config',
        rcloneConf,
        '--stats',
        '0',
        '-q',
      ],
      { timeoutMs, env: { RCLONE_CONFIG: rcloneConf, HOME: ctx.work } },
    );
    return r.seconds;
  };

  // A floor for any WebDAV sync tool: every file PUT once to nginx with `concurrency`
  // connections, bodies read beforehand, no listing or checks.
  const floor = async () => {
    const rels = (await readdir(tree.dir, { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => path.relative(tree.dir, path.join(d.parentPath ?? d.path, d.name)));
    const reqs = await Promise.all(
      rels.map(async (rel) => ({ path: `/floor/${rel}`, headers: {}, body: await readFile(path.join(tree.dir, rel)) })),
    );
    const res = await putMany(nginx.url, reqs, { connections: concurrency, timeoutMs });
    if (res.failed) throw new Error(`${res.failed} PUTs failed (${res.firstError})`);
    return res.seconds;
  };

  let pc;
  let pcPush;
  try {
    await ctx.presscloudReady();
    pc = await pcApi.startPresscloud(path.join(ctx.work, 'push-presscloud'), { nodeArgs: ctx.profArgs('push') });
    ctx.cleanup(() => pc.stop());
    pcPush = async () => {
      const args = [pcApi.bin, 'push', tree.dir, '--url', pc.url, '--token', pc.token, '--concurrency', String(concurrency)];
      let r = await run(process.execPath, [...args, '--json'], { cwd: pcApi.root, timeoutMs });
      if (r.code !== 0 && /unknown option.*--json/i.test(r.stderr)) {
        r = await run(process.execPath, args, { cwd: pcApi.root, timeoutMs });
      }
      if (r.code !== 0) throw new Error(`presscloud push exited ${r.code ?? r.signal}: ${(r.stderr || r.stdout).slice(-1000)}`);
      return { seconds: r.seconds, output: r.stdout.trim().slice(-2000) };
    };
  } catch (err) {
    out.presscloud = { error: err.message };
    ctx.note(`push: presscloud unavailable: ${err.message.split('\n')[0]}`);
  }

  const steps = [
    ['rclone', 'cold', rclone],
    ['presscloud', 'cold', pcPush],
    ['floor', 'cold', floor],
    ['rclone', 'warm', rclone],
    ['presscloud', 'warm', pcPush],
  ];
  for (const [name, phase, fn] of steps) {
    if (!fn) continue;
    out[name] ??= {};
    await runOk('sync', [], { timeoutMs: 120_000 });
    try {
      const res = await fn();
      const seconds = typeof res === 'number' ? res : res.seconds;
      out[name][`${phase}Seconds`] = seconds;
      out[name][`${phase}LoadAvg1`] = loadavg()[0];
      if (res.output) out[name][`${phase}Output`] = res.output;
      ctx.log(`push: ${name.padEnd(10)} ${phase} ${seconds.toFixed(2)} s (load ${out[name][`${phase}LoadAvg1`].toFixed(2)})`);
    } catch (err) {
      out[name][`${phase}Error`] = err.message;
      ctx.note(`push: ${name} ${phase} failed: ${err.message.split('\n')[0]}`);
      if (phase === 'cold') break;
    }
  }
  out.rclone.filesOnServer = await countFiles(path.join(nginx.root, 'site'));
  await Promise.all([nginx.stop(), pc?.stop()]);
  await rm(path.join(ctx.work, 'push-presscloud'), { recursive: true, force: true });
  await rm(path.join(ctx.work, 'push-nginx'), { recursive: true, force: true });
  return out;
}

async function countFiles(dir) {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).length;
  } catch {
    return 0;
  }
}
