#!/usr/bin/env node
// `npm run bench [-- --only big,small,batch,push,session,memory] [--quick] [--cpu-prof] [--concurrency N]`
// Side-by-side benchmarks of presscloud against nginx WebDAV, @tus/server and rclone, on
// loopback only. Prints a table of ratios and writes bench/results/latest.json.
// Needs bench/setup.sh once (nginx, rclone, curl, wrk, bench's own npm deps).
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { readFileSync, statSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { nginxVersion } from './lib/nginx.mjs';
import { killAllChildren, run } from './lib/proc.mjs';
import * as pcApi from './lib/presscloud.mjs';
import { batch } from './sections/batch.mjs';
import { big } from './sections/big.mjs';
import { memory } from './sections/memory.mjs';
import { push } from './sections/push.mjs';
import { session } from './sections/session.mjs';
import { small } from './sections/small.mjs';
import { s3 } from './sections/s3.mjs';
import { site } from './sections/site.mjs';
import { startup } from './sections/startup.mjs';

const SECTIONS = { big, small, batch, push, session, memory, startup, s3, site };
const benchDir = path.dirname(fileURLToPath(import.meta.url));

const { values: opts } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '16' },
    seed: { type: 'string', default: '20261126' },
    'time-limit': { type: 'string' },
    'wait-idle': { type: 'string', default: '0' },
    build: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log(`usage: npm run bench -- [--only ${Object.keys(SECTIONS).join(',')}] [--quick] [--cpu-prof] [--concurrency 16] [--build]
  --quick       small sizes, a sanity run of about two minutes
  --cpu-prof    run each presscloud server under node --cpu-prof (profiles in bench/results/profiles/)
  --build       run \`npm run build\` first (otherwise the existing dist/ is used)
  --wait-idle S before each section, wait up to S seconds for the other processes' CPU use to drop
                under 10% (the machine is shared; each section records what it saw)`);
  process.exit(0);
}
const only = opts.only
  ? opts.only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  : Object.keys(SECTIONS);
for (const s of only)
  if (!SECTIONS[s]) {
    console.error(`unknown section "${s}" (known: ${Object.keys(SECTIONS).join(', ')})`);
    process.exit(2);
  }

// Everything is bounded: the whole run stops by itself.
const limitS = Number(opts['time-limit'] ?? (opts.quick ? 300 : 1800));
const watchdog = setTimeout(() => {
  console.error(`\nbench: time limit of ${limitS} s reached, stopping`);
  killAllChildren();
  process.exit(3);
}, limitS * 1000);
watchdog.unref();
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    killAllChildren();
    process.exit(130);
  });
process.on('exit', killAllChildren);

const work = path.join(benchDir, '.work');
const resultsDir = path.join(benchDir, 'results');
const t0 = Date.now();
const log = (msg) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${msg}`);
const notes = [];
let cleanups = [];
let pcReady;
const ctx = {
  quick: opts.quick,
  seed: opts.seed,
  concurrency: Number(opts.concurrency),
  work: path.join(work, 'run'),
  dataDir: path.join(work, 'data'),
  log,
  note: (n) => {
    notes.push(n);
    log(`note: ${n}`);
  },
  cleanup: (fn) => cleanups.push(fn),
  presscloudReady: () => (pcReady ??= pcApi.ensureBuilt({ rebuild: opts.build })),
  profArgs: (section) => (opts['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', path.join(resultsDir, 'profiles', section)] : []),
};

await rm(ctx.work, { recursive: true, force: true });
await mkdir(ctx.work, { recursive: true });
await mkdir(ctx.dataDir, { recursive: true });
await mkdir(resultsDir, { recursive: true });

const machine = await machineInfo();
log(
  `machine: ${machine.nproc} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, node ${machine.node}, disk ${machine.disk.source} (${machine.disk.fstype}), fsync'd write ${machine.disk.fsyncWriteMBps} MB/s`,
);

const results = {};
for (const name of only) {
  log(`--- ${name}${opts.quick ? ' (quick)' : ''}`);
  const s0 = Date.now();
  const busyBefore = await waitIdle(Number(opts['wait-idle']));
  const builtAt = distBuiltAt();
  if (busyBefore > 0.1) ctx.note(`${name}: other processes kept ${(busyBefore * 100).toFixed(0)}% of the CPUs busy when it started`);
  try {
    results[name] = await SECTIONS[name](ctx);
  } catch (err) {
    results[name] = { error: err.message.slice(0, 2000) };
    ctx.note(`${name} failed: ${err.message.split('\n')[0].slice(0, 300)}`);
  }
  for (const fn of cleanups.reverse()) await fn().catch(() => {});
  cleanups = [];
  results[name].sectionSeconds = (Date.now() - s0) / 1000;
  results[name].cpuBusyBefore = busyBefore;
  results[name].distBuiltAt = builtAt; // which compiled server it ran: dist/ may be rebuilt meanwhile
  results[name].loadAvgAfter = loadavg()[0];
}
await rm(ctx.work, { recursive: true, force: true });

const table = buildTable(results);
printTable(table);
for (const n of notes) console.log(`note: ${n}`);
const doc = {
  when: new Date().toISOString(),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  quick: opts.quick,
  seed: opts.seed,
  totalSeconds: (Date.now() - t0) / 1000,
  machine,
  table,
  results,
  notes,
};
await writeFile(path.join(resultsDir, 'latest.json'), `${JSON.stringify(doc, null, 2)}\n`);
log(`wrote ${path.relative(process.cwd(), path.join(resultsDir, 'latest.json'))}`);
clearTimeout(watchdog);
process.exit(Object.values(results).some((r) => r.error) ? 1 : 0);

// --- the machine is shared: measure what else is running -------------------------------------

/** Fraction of all CPUs busy over `ms` (from /proc/stat). */
async function cpuBusy(ms = 1000) {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + f[4];
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  return b.total === a.total ? 0 : 1 - (b.idle - a.idle) / (b.total - a.total);
}

function distBuiltAt() {
  try {
    return statSync(path.join(pcApi.root, 'dist', 'cli', 'main.bundle.js')).mtime.toISOString();
  } catch {
    return null;
  }
}

async function waitIdle(maxSeconds) {
  const deadline = Date.now() + maxSeconds * 1000;
  let busy = await cpuBusy();
  while (busy > 0.1 && Date.now() < deadline) {
    log(`waiting for an idle machine (${(busy * 100).toFixed(0)}% busy)`);
    busy = await cpuBusy(5000);
  }
  return busy;
}

// --- table ------------------------------------------------------------------------------------

function buildTable(r) {
  const rows = [];
  // load: the 1-minute load average when the figure was taken (else when its section ended), printed beside it.
  const row = (section, metric, presscloud, baselineName, baseline, ratioName, ratio, target, met, load) =>
    rows.push({
      section,
      metric,
      presscloud,
      baselineName,
      baseline,
      ratioName,
      ratio,
      target,
      met,
      load: load ?? r[section]?.loadAvgAfter,
    });
  const ok = (x) => Number.isFinite(x);
  const meets = (x, pred) => (ok(x) ? pred(x) : null);
  if (r.big && !r.big.error) {
    const b = r.big;
    const pc = b.presscloud?.medianMBps;
    const gib = (b.sizeBytes / 2 ** 30).toFixed(b.sizeBytes >= 2 ** 30 ? 0 : 3);
    const lim = b.durableLimit;
    const loads = (xs) => (xs?.length ? `load ${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}` : 'load ?');
    // Paired per rep, then the median; one set of rows per hashing design (PRESSCLOUD_BENCH_HASH_WORKERS).
    for (const name of b.variants ?? ['presscloud']) {
      const p = b.paired?.[name];
      const v = b[name]?.medianMBps;
      const what = `${gib} GiB PUT ${name}, paired median of ${b.runs} (${loads(p?.loadAvg)})`;
      row(
        'big',
        what,
        v,
        'naive durable node',
        b.naive?.medianMBps,
        `${name}/naive`,
        p?.medianVsNaive,
        '>= 1.5',
        meets(p?.medianVsNaive, (x) => x >= 1.5),
      );
      row(
        'big',
        what,
        v,
        `durable limit (${lim?.by})`,
        lim?.medianMBps,
        `${name}/limit`,
        p?.medianVsLimit,
        '>= 0.65',
        meets(p?.medianVsLimit, (x) => x >= 0.65),
      );
      row(
        'big',
        what,
        v,
        'tus',
        b.tus?.medianMBps,
        `${name}/tus`,
        p?.medianVsTus,
        '>= 1.0',
        meets(p?.medianVsTus, (x) => x >= 1.0),
      );
      const c = b.concurrent?.[name];
      row(
        'big',
        `${name}: peak RSS MB, 16 concurrent PUTs (load ${c?.loadAvg?.toFixed(1) ?? '?'})`,
        c?.peakRssMB,
        '',
        null,
        '',
        null,
        '< 250',
        meets(c?.peakRssMB, (x) => x < 250),
      );
    }
    for (const part of ['nginx', 'dd', 'openssl']) {
      const label = {
        nginx: 'limit part: nginx PUT (curl)',
        dd: 'limit part: dd bs=1M conv=fdatasync',
        openssl: 'limit part: openssl dgst -sha256',
      }[part];
      row('big', label, pc, part, b[part]?.medianMBps, `presscloud/${part}`, pc / b[part]?.medianMBps, '', null);
    }
    row(
      'big',
      'server CPU s per GiB',
      b.presscloud?.cpuSecondsPerGiB,
      'nginx',
      b.nginx?.cpuSecondsPerGiB,
      'presscloud/nginx',
      b.presscloud?.cpuSecondsPerGiB / b.nginx?.cpuSecondsPerGiB,
      '',
      null,
    );
    row(
      'big',
      'server CPU s per GiB',
      b.presscloud?.cpuSecondsPerGiB,
      'tus',
      b.tus?.cpuSecondsPerGiB,
      'presscloud/tus',
      b.presscloud?.cpuSecondsPerGiB / b.tus?.cpuSecondsPerGiB,
      '',
      null,
    );
    row(
      'big',
      'server peak RSS MB (VmHWM)',
      b.presscloud?.peakRssMB,
      'tus',
      b.tus?.vmHWMMB?.[0],
      'presscloud/tus',
      b.presscloud?.peakRssMB / b.tus?.vmHWMMB?.[0],
      '',
      null,
    );
  }
  if (r.small && !r.small.error) {
    const s = r.small;
    const rr = s.presscloud?.reqPerSec / s.nginx?.reqPerSec;
    const load = Math.max(s.presscloud?.loadAvg1 ?? 0, s.nginx?.loadAvg1 ?? 0) || undefined;
    row(
      'small',
      '4 KiB PUT req/s (64 conns)',
      s.presscloud?.reqPerSec,
      'nginx',
      s.nginx?.reqPerSec,
      'presscloud/nginx',
      rr,
      '>= 0.35 (goal 0.5)',
      meets(rr, (x) => x >= 0.35),
      load,
    );
    const rg = s.presscloud?.get?.reqPerSec / s.nginx?.get?.reqPerSec;
    row(
      'small',
      '4 KiB GET req/s (64 conns)',
      s.presscloud?.get?.reqPerSec,
      'nginx',
      s.nginx?.get?.reqPerSec,
      'presscloud/nginx',
      rg,
      '>= 0.5',
      meets(rg, (x) => x >= 0.5),
      Math.max(s.presscloud?.get?.loadAvg1 ?? 0, s.nginx?.get?.loadAvg1 ?? 0) || undefined,
    );
    row(
      'small',
      '4 KiB PUT p50 ms',
      s.presscloud?.p50ms,
      'nginx',
      s.nginx?.p50ms,
      'presscloud/nginx',
      s.presscloud?.p50ms / s.nginx?.p50ms,
      '',
      null,
    );
    row(
      'small',
      '4 KiB PUT p99 ms',
      s.presscloud?.p99ms,
      'nginx',
      s.nginx?.p99ms,
      'presscloud/nginx',
      s.presscloud?.p99ms / s.nginx?.p99ms,
      '',
      null,
    );
    row('small', '4 KiB PUT req/s, wrk -t2 -c64 (generator check)', null, 'nginx', s.nginxWrk?.reqPerSec, '', null, '', null);
    row(
      'small',
      'server CPU ms per PUT',
      s.presscloud?.serverCpuMsPerReq,
      'nginx',
      s.nginx?.serverCpuMsPerReq,
      'presscloud/nginx',
      s.presscloud?.serverCpuMsPerReq / s.nginx?.serverCpuMsPerReq,
      '',
      null,
    );
  }
  if (r.batch && !r.batch.error) {
    const b = r.batch;
    const label = `4 KiB blobs/s: batches of ${b.perBatch}, ${b.batchConnections} in flight`;
    row(
      'batch',
      label,
      b.presscloudBatch?.blobsPerSec,
      'nginx PUT',
      b.nginx?.blobsPerSec,
      'batch/nginx',
      b.presscloudBatch?.blobsPerSec / b.nginx?.blobsPerSec,
      '>= 1.0 (goal 2)',
      meets(b.presscloudBatch?.blobsPerSec / b.nginx?.blobsPerSec, (x) => x >= 1),
      Math.max(b.presscloudBatch?.loadAvg1 ?? 0, b.nginx?.loadAvg1 ?? 0) || undefined,
    );
    row(
      'batch',
      label,
      b.presscloudBatch?.blobsPerSec,
      'presscloud PUT',
      b.presscloudPut?.blobsPerSec,
      'batch/PUT',
      b.presscloudBatch?.blobsPerSec / b.presscloudPut?.blobsPerSec,
      '',
      null,
    );
    row(
      'batch',
      'server CPU ms per blob',
      b.presscloudBatch?.serverCpuMsPerBlob,
      'presscloud PUT',
      b.presscloudPut?.serverCpuMsPerBlob,
      'batch/PUT',
      b.presscloudBatch?.serverCpuMsPerBlob / b.presscloudPut?.serverCpuMsPerBlob,
      '',
      null,
    );
  }
  if (r.push && !r.push.error) {
    const p = r.push;
    const label = `${p.files} files, ${(p.totalBytes / 1e6).toFixed(0)} MB, c=${p.concurrency}`;
    const rc = p.rclone?.coldSeconds / p.presscloud?.coldSeconds;
    const rw = p.rclone?.warmSeconds / p.presscloud?.warmSeconds;
    row(
      'push',
      `cold push s (${label})`,
      p.presscloud?.coldSeconds,
      'rclone',
      p.rclone?.coldSeconds,
      'rclone/push',
      rc,
      '>= 2',
      meets(rc, (x) => x >= 2),
    );
    row(
      'push',
      `cold push s (${label})`,
      p.presscloud?.coldSeconds,
      'nginx PUT floor',
      p.floor?.coldSeconds,
      'floor/push',
      p.floor?.coldSeconds / p.presscloud?.coldSeconds,
      '>= 0.33 (push <= 3x floor)',
      meets(p.floor?.coldSeconds / p.presscloud?.coldSeconds, (x) => x >= 1 / 3),
      Math.max(p.floor?.coldLoadAvg1 ?? 0, p.presscloud?.coldLoadAvg1 ?? 0) || undefined,
    );
    row(
      'push',
      `warm push s (${label})`,
      p.presscloud?.warmSeconds,
      'rclone',
      p.rclone?.warmSeconds,
      'rclone/push',
      rw,
      '>= 10',
      meets(rw, (x) => x >= 10),
      Math.max(p.rclone?.warmLoadAvg1 ?? 0, p.presscloud?.warmLoadAvg1 ?? 0) || undefined,
    );
  }
  if (r.session && !r.session.error) {
    const s = r.session;
    row(
      'session',
      `create, ${s.entries} entries, s (median of ${s.runs})`,
      s.medianSeconds,
      '',
      null,
      '',
      null,
      s.entries >= 100_000 ? '< 2 s' : '(quick)',
      s.entries >= 100_000 ? meets(s.medianSeconds, (x) => x < 2) : null,
    );
    row('session', 'create, entries/s', s.entriesPerSec, '', null, '', null, '', null);
  }
  if (r.memory && !r.memory.error) {
    const m = r.memory;
    const full = m.blobBytes >= 2 ** 30;
    row(
      'memory',
      `peak RSS MB, ${m.concurrent} x ${(m.blobBytes / 2 ** 20).toFixed(0)} MiB PUTs${m.stoppedOverLimitMB ? ` (killed at the ${m.stoppedOverLimitMB} MB guard)` : ''}`,
      m.peakRssMB,
      '',
      null,
      '',
      null,
      full ? '< 250' : '(quick)',
      full ? meets(m.peakRssMB, (x) => x < 250) : null,
    );
    row('memory', 'aggregate MB/s of those PUTs', m.aggregateMBps, '', null, '', null, '', null);
  }
  if (r.startup && !r.startup.error) {
    const s = r.startup;
    for (const [key, label] of [
      ['version', '--version'],
      ['pushHelp', 'push --help'],
    ]) {
      const ratio = s[key]?.medianMs / s.node?.medianMs;
      row(
        'startup',
        `presscloud ${label}, ms (median of ${s.rounds})`,
        s[key]?.medianMs,
        'node -e 0',
        s.node?.medianMs,
        'presscloud/node',
        ratio,
        '<= 1.5',
        meets(ratio, (x) => x <= 1.5),
      );
    }
  }
  if (r.s3 && !r.s3.error) {
    const s = r.s3;
    // Paired per round where the section recorded it (its rounds alternate which goes first).
    const rs = s.small?.pairedMedian ?? s.small?.presscloudReqPerSec / s.small?.directReqPerSec;
    const rb = s.big?.pairedMedian ?? s.big?.presscloudMBps / s.big?.directMBps;
    const load = (xs) => (xs?.length ? `, load ${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}` : '');
    row(
      's3',
      `PostgreSQL + s3rver: ${s.smallCount} x 64 KiB PUT req/s, c=${s.concurrency} (median of ${s.rounds}${load(s.small?.loadAvg)})`,
      s.small?.presscloudReqPerSec,
      'SDK PutObject',
      s.small?.directReqPerSec,
      'presscloud/direct',
      rs,
      '>= 0.6',
      meets(rs, (x) => x >= 0.6),
    );
    row(
      's3',
      `PostgreSQL + s3rver: ${(s.bigSize / 2 ** 20).toFixed(0)} MiB PUT MB/s (median of ${s.rounds}${load(s.big?.loadAvg)})`,
      s.big?.presscloudMBps,
      'SDK PutObject',
      s.big?.directMBps,
      'presscloud/direct',
      rb,
      '>= 0.6',
      meets(rb, (x) => x >= 0.6),
    );
  }
  if (r.site && !r.site.error) {
    for (const [name, f] of Object.entries(r.site.files)) {
      row(
        'site',
        `GET ${name} from an alias host, req/s, wrk -t2 -c${r.site.connections} (load ${f.presscloud.loadAvg} / ${f.nginx.loadAvg})`,
        f.presscloud.reqPerSec,
        'nginx',
        f.nginx.reqPerSec,
        'presscloud/nginx',
        f.ratio,
        '>= 0.5',
        meets(f.ratio, (x) => x >= 0.5),
      );
    }
  }
  for (const [name, res] of Object.entries(r)) {
    if (res.error) row(name, 'FAILED', null, '', null, '', null, '', null);
    else if (res.presscloud?.error) row(name, 'presscloud unavailable', null, '', null, '', null, '', null);
  }
  return rows;
}

function fmt(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function printTable(rows) {
  const head = ['section', 'metric', 'presscloud', 'baseline', 'value', 'ratio', '', 'target', 'met', 'load1'];
  const body = rows.map((r) => [
    r.section,
    r.metric,
    fmt(r.presscloud),
    r.baselineName,
    fmt(r.baseline),
    r.ratioName,
    fmt(r.ratio),
    r.target,
    r.met === null ? '' : r.met ? 'yes' : 'NO',
    fmt(r.load),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => String(b[i]).length)));
  const line = (cells) =>
    cells
      .map((c, i) => String(c).padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(`\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const b of body) console.log(line(b));
  console.log('');
}

// --- machine ----------------------------------------------------------------------------------

async function machineInfo() {
  const text = async (cmd, args) => {
    try {
      const r = await run(cmd, args, { timeoutMs: 10_000 });
      return (r.stdout || r.stderr).trim();
    } catch {
      return 'unavailable';
    }
  };
  const df = (await text('df', ['-P', '-T', '-B1', work])).split('\n').pop().split(/\s+/);
  const source = df[0];
  const dev = path.basename(source);
  let rotational = 'unknown';
  try {
    rotational = (await (await import('node:fs/promises')).readFile(`/sys/block/${dev}/queue/rotational`, 'utf8')).trim() === '1';
  } catch {
    /* not a whole disk */
  }
  // The disk's fsync'd sequential write speed, for context (same filesystem as the servers).
  const probe = path.join(work, 'ddprobe');
  const mb = opts.quick ? 128 : 512;
  const dd = await run('dd', ['if=/dev/zero', `of=${probe}`, 'bs=1M', `count=${mb}`, 'conv=fdatasync'], { timeoutMs: 120_000 }).catch(
    () => null,
  );
  await rm(probe, { force: true });
  const ddSeconds = Number(/, ([\d.]+) s,/.exec(dd?.stderr ?? '')?.[1]);
  let tusVersion = 'not installed (run bench/setup.sh)';
  const tusPkg = path.join(benchDir, 'node_modules', '@tus', 'server', 'package.json');
  if (existsSync(tusPkg)) tusVersion = JSON.parse(await (await import('node:fs/promises')).readFile(tusPkg, 'utf8')).version;
  return {
    nproc: Number(await text('nproc', [])),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    freeMemoryGiB: Number((freemem() / 2 ** 30).toFixed(1)),
    kernel: release(),
    node: process.version,
    disk: {
      source,
      fstype: df[1],
      sizeGB: Number((Number(df[2]) / 1e9).toFixed(0)),
      availableGB: Number((Number(df[4]) / 1e9).toFixed(0)),
      rotational,
      fsyncWriteMBps: Number.isFinite(ddSeconds) ? Math.round((mb * 2 ** 20) / 1e6 / ddSeconds) : null,
    },
    versions: {
      nginx: await nginxVersion(),
      rclone: (await text('rclone', ['version'])).split('\n')[0],
      curl: (await text('curl', ['--version'])).split('\n')[0].split(' ').slice(0, 2).join(' '),
      tusServer: tusVersion,
      presscloudCommit: await text('git', ['-C', pcApi.root, 'rev-parse', '--short', 'HEAD']).then((s) =>
        /^[0-9a-f]+$/.test(s) ? s : 'uncommitted',
      ),
    },
  };
}
