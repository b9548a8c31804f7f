// 4. Session creation with a large manifest: server time (curl time_total) and entries/s.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bigManifest } from '../lib/data.mjs';
import { procStatus, runOk } from '../lib/proc.mjs';
import * as pcApi from '../lib/presscloud.mjs';
import { median } from '../lib/stats.mjs';

export async function session(ctx) {
  const entries = ctx.quick ? 10_000 : 100_000;
  const runs = 3;
  const out = { entries, runs };
  const body = bigManifest({ seed: ctx.seed, count: entries });
  const file = path.join(ctx.dataDir, `manifest-${entries}.json`);
  await writeFile(file, body);
  out.bodyBytes = Buffer.byteLength(body);
  await ctx.presscloudReady();
  const pc = await pcApi.startPresscloud(path.join(ctx.work, 'session-presscloud'), { nodeArgs: ctx.profArgs('session') });
  ctx.cleanup(() => pc.stop());
  const seconds = [];
  try {
    for (let r = 0; r < runs; r++) {
      const answer = path.join(ctx.work, 'session-answer.json');
      const res = await runOk(
        'curl',
        [
          '-sS',
          '-X',
          'POST',
          '--data-binary',
          `@${file}`,
          '-H',
          'Expect:',
          '-H',
          `Authorization: Bearer ${pc.token}`,
          '-H',
          'Content-Type: application/json',
          '-o',
          answer,
          '-w',
          '%{http_code} %{time_total}',
          `${pc.url}/v1/upload-sessions`,
        ],
        { timeoutMs: 120_000 },
      );
      const [status, t] = res.stdout.trim().split(' ');
      const text = await readFile(answer, 'utf8');
      if (status !== '201') throw new Error(`session create answered ${status}: ${text.slice(0, 300)}`);
      const j = JSON.parse(text);
      if (j.fileCount !== entries || j.missing?.length !== entries)
        throw new Error(`session has fileCount ${j.fileCount}, ${j.missing?.length} missing; expected ${entries}`);
      seconds.push(Number(t));
      ctx.log(`session: run ${r + 1}/${runs} ${entries} entries in ${Number(t).toFixed(3)} s`);
    }
    out.seconds = seconds;
    out.medianSeconds = median(seconds);
    out.entriesPerSec = entries / out.medianSeconds;
    out.serverVmHWMMB = procStatus(pc.pid).vmHWMkB / 1024;
  } finally {
    await pc.stop();
    await rm(path.join(ctx.work, 'session-presscloud'), { recursive: true, force: true });
  }
  return out;
}
