#!/usr/bin/env node
// Syscall COUNTS per request of a running `presscloud serve`, from `strace -c -f` attached only while the
// requests run: deterministic (unlike timings), so they may be taken on a busy machine.
// Usage: node bench/syscalls.mjs [--mode put|get|batch] [--count 200] [--size 4096]
// PRESSCLOUD_ROOT=<checkout> measures another build (e.g. the commit before a change), as the bench does.
// --cpu-prof DIR: no strace; the server runs under node --cpu-prof and the requests go 64 at a time, for the
// function SHARES of a profile (bench/profile-summary.mjs DIR/*.cpuprofile); its timings mean nothing.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { smallBlobs } from './lib/data.mjs';
import * as pcApi from './lib/presscloud.mjs';

const { values: opts } = parseArgs({
  options: {
    mode: { type: 'string', default: 'put' },
    count: { type: 'string', default: '200' },
    size: { type: 'string', default: '4096' },
    warmup: { type: 'string', default: '20' },
    'cpu-prof': { type: 'string' },
  },
});
const profileDir = opts['cpu-prof'] ? path.resolve(opts['cpu-prof']) : undefined;
const count = Number(opts.count);
const size = Number(opts.size);
const warmup = Number(opts.warmup);
const PER_BATCH = 100;

const work = await mkdtemp(path.join(tmpdir(), 'presscloud-syscalls-'));
const pc = await pcApi.startPresscloud(path.join(work, 'data'), {
  nodeArgs: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
});
try {
  const blobs = smallBlobs({ seed: 'syscalls', label: `${opts.mode}-${size}`, count: warmup + count, size });
  const session = await pcApi.createSession(
    pc,
    blobs.map((b, i) => ({ path: `f/${String(i).padStart(6, '0')}.bin`, sha256: b.sha256, size })),
  );
  const put = async (b) => {
    const res = await fetch(`${pc.url}${pcApi.blobPath(session, b.sha256)}`, {
      method: 'PUT',
      headers: pcApi.blobHeaders(pc, session),
      body: b.body,
    });
    if (res.status !== 200) throw new Error(`PUT answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  const get = async (b) => {
    const res = await fetch(`${pc.url}/v1/blobs/${b.sha256}`, { headers: { authorization: `Bearer ${pc.token}` } });
    if (res.status !== 200) throw new Error(`GET answered ${res.status}`);
    await res.arrayBuffer();
  };
  const batch = async (group) => {
    const boundary = 'syscalls-boundary';
    const pieces = group.flatMap((b) => [
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${b.sha256}"; filename="${b.sha256}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      b.body,
      Buffer.from('\r\n'),
    ]);
    pieces.push(Buffer.from(`--${boundary}--\r\n`));
    const res = await fetch(`${pc.url}${pcApi.blobPath(session, '').replace(/\/$/, '')}`, {
      method: 'POST',
      headers: { ...pcApi.blobHeaders(pc, session), 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: Buffer.concat(pieces),
    });
    if (res.status !== 200) throw new Error(`batch answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };

  for (const b of blobs.slice(0, warmup)) await put(b);
  const measured = blobs.slice(warmup);
  if (opts.mode === 'get') for (const b of measured) await put(b);

  if (profileDir) {
    const { putMany } = await import('./lib/loadgen.mjs');
    const headers = pcApi.blobHeaders(pc, session);
    const requests =
      opts.mode === 'get'
        ? measured.map((b) => ({ method: 'GET', path: `/v1/blobs/${b.sha256}`, headers: { authorization: `Bearer ${pc.token}` } }))
        : measured.map((b) => ({ path: pcApi.blobPath(session, b.sha256), headers, body: b.body }));
    const res = await putMany(pc.url, requests, { connections: 64 });
    if (res.failed) throw new Error(`${res.failed} requests failed: ${res.firstError}`);
    console.log(`${opts.mode}: ${count} requests under --cpu-prof; profile written to ${profileDir} when the server stops`);
    process.exitCode = 0;
  } else await countSyscalls();

  async function countSyscalls() {
    const summary = path.join(work, 'strace.txt');
    const strace = spawn('strace', ['-c', '-f', '-o', summary, '-p', String(pc.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    // strace says "Process N attached" once per thread it attached: then every thread of the server is traced.
    await new Promise((resolve, reject) => {
      strace.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (/attached/.test(stderr)) resolve();
      });
      strace.once('exit', (code) => reject(new Error(`strace exited ${code}: ${stderr}`)));
    });

    if (opts.mode === 'put') for (const b of measured) await put(b);
    else if (opts.mode === 'get') for (const b of measured) await get(b);
    else for (let i = 0; i < measured.length; i += PER_BATCH) await batch(measured.slice(i, i + PER_BATCH));

    strace.kill('SIGINT');
    await once(strace, 'exit');
    const calls = parseSummary(await readFile(summary, 'utf8'));
    const per = (n) => Math.round((n / count) * 100) / 100;
    const total = [...calls.values()].reduce((a, b) => a + b, 0);
    const rows = [...calls].sort((a, b) => b[1] - a[1]);
    console.log(
      `${opts.mode} of ${count} x ${size} B blobs, one request at a time (${opts.mode === 'batch' ? `${PER_BATCH} blobs a request, ` : ''}per blob):`,
    );
    console.log(`  total syscalls ${per(total)}`);
    const fsyncs = (calls.get('fsync') ?? 0) + (calls.get('fdatasync') ?? 0);
    console.log(`  fsync + fdatasync ${per(fsyncs)}`);
    for (const [name, n] of rows) console.log(`  ${name.padEnd(18)} ${per(n)}`);
  }
} finally {
  await pc.stop();
  await rm(work, { recursive: true, force: true });
}

/** syscall name → calls, from strace -c's table. */
function parseSummary(text) {
  const calls = new Map();
  for (const line of text.split('\n')) {
    const cells = line.trim().split(/\s+/);
    // % time, seconds, usecs/call, calls, [errors], syscall
    if (cells.length < 5 || !/^\d/.test(cells[0]) || cells[cells.length - 1] === 'total') continue;
    const name = cells[cells.length - 1];
    const n = Number(cells[3]);
    if (Number.isFinite(n)) calls.set(name, n);
  }
  return calls;
}
