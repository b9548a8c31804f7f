// 6. CLI start-up: `presscloud --version` and `presscloud push --help` against a bare `node -e 0`,
// spawned in turn (interleaved, so a busy neighbour slows all three alike); medians of wall time.
import { spawnSync } from 'node:child_process';
import * as pcApi from '../lib/presscloud.mjs';
import { median } from '../lib/stats.mjs';

export async function startup(ctx) {
  await ctx.presscloudReady();
  const rounds = ctx.quick ? 10 : 30;
  const commands = {
    node: ['-e', '0'],
    version: [pcApi.bin, '--version'],
    pushHelp: [pcApi.bin, 'push', '--help'],
  };
  const ms = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, args] of Object.entries(commands)) {
      const t0 = process.hrtime.bigint();
      const res = spawnSync(process.execPath, args, { cwd: pcApi.root, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
      const took = Number(process.hrtime.bigint() - t0) / 1e6;
      if (res.status !== 0) throw new Error(`node ${args.join(' ')} exited ${res.status}: ${String(res.stderr).slice(0, 300)}`);
      ms[name].push(took);
    }
  }
  const out = { rounds };
  for (const name of Object.keys(commands)) out[name] = { ms: ms[name], medianMs: median(ms[name]) };
  ctx.log(
    `startup: node -e 0 ${out.node.medianMs.toFixed(0)} ms, --version ${out.version.medianMs.toFixed(0)} ms, push --help ${out.pushHelp.medianMs.toFixed(0)} ms (medians of ${rounds})`,
  );
  return out;
}
