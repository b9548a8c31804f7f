// Child processes for the bench: every child is tracked and killed on exit, every wait is bounded.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const children = new Set();

/** Start a long-running child (a server). Its output goes to a log file's stream or is kept. */
export function startChild(cmd, args, { env, cwd, logStream, onStdout } = {}) {
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.output = '';
  const keep = (chunk) => {
    const text = chunk.toString();
    if (child.output.length < 1 << 20) child.output += text;
    logStream?.write(text);
  };
  child.stdout.on('data', (c) => {
    keep(c);
    onStdout?.(c.toString());
  });
  child.stderr.on('data', keep);
  child.exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return child;
}

/** Stop a child with SIGTERM, then SIGKILL after graceMs. */
export async function stopChild(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(t);
}

export function killAllChildren() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Run a command to completion with a time limit; resolves {code, stdout, stderr, seconds}. */
export function run(cmd, args, { env, cwd, timeoutMs = 600_000, input } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      if (stdout.length < 4 << 20) stdout += c;
    });
    child.stderr.on('data', (c) => {
      if (stderr.length < 4 << 20) stderr += c;
    });
    if (input !== undefined) child.stdin.end(input);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      children.delete(child);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (timedOut) {
        reject(new Error(`${cmd} ${args.join(' ').slice(0, 200)} timed out after ${timeoutMs} ms\n${stderr.slice(-2000)}`));
      } else {
        resolve({ code, signal, stdout, stderr, seconds });
      }
    });
  });
}

/** Run and require exit code 0. */
export async function runOk(cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ').slice(0, 300)} exited ${r.code ?? r.signal}\n${(r.stderr || r.stdout).slice(-3000)}`);
  }
  return r;
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Wait until url answers any HTTP status (or ok(status) holds), bounded. */
export async function waitForHttp(url, { timeoutMs = 30_000, child, ok = () => true } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`server exited early (${child.exitCode ?? child.signalCode}):\n${child.output.slice(-3000)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (ok(res.status)) return res.status;
      last = `status ${res.status}`;
    } catch (err) {
      last = err.message;
    }
    await sleep(100);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (${last})${child ? `\n${child.output.slice(-3000)}` : ''}`);
}

/** Fields of /proc/PID/status in kB (VmHWM, VmRSS). */
export function procStatus(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const get = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { vmHWMkB: get('VmHWM'), vmRSSkB: get('VmRSS') };
  } catch {
    return { vmHWMkB: NaN, vmRSSkB: NaN };
  }
}

/** user+system CPU seconds of a process (its own threads, not children). */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/**
 * Sample a process's RSS every intervalMs; stop() returns {sampledPeakRssMB, vmHWMMB}.
 * onOver(rssMB) is called once if RSS passes overMB (a guard for the shared machine).
 */
export function sampleRss(pid, intervalMs = 100, { overMB = Infinity, onOver } = {}) {
  let peak = 0;
  let fired = false;
  const tick = () => {
    const { vmRSSkB } = procStatus(pid);
    if (vmRSSkB > peak) peak = vmRSSkB;
    if (!fired && vmRSSkB / 1024 > overMB) {
      fired = true;
      onOver?.(vmRSSkB / 1024);
    }
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return { sampledPeakRssMB: peak / 1024, vmHWMMB: procStatus(pid).vmHWMkB / 1024 };
    },
  };
}
