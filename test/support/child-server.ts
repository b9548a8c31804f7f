// Runs `presscloud serve` as a real child process (the compiled CLI), for tests that measure or kill it.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/presscloud.js');

export interface ChildServer {
  readonly url: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** What the server printed so far (stdout and stderr). */
  output(): string;
  /** Peak and current resident memory of the process, from /proc, in bytes. */
  memory(): Promise<{ rss: number; peak: number }>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function spawnServer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, [CLI, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
    env: { ...process.env, PRESSCLOUD_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 20_000);
    const poll = setInterval(() => {
      const match = /serving on (http:\/\/[\d.:]+)/.exec(output);
      if (match) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(match[1]);
      }
    }, 20);
    void exited.then((code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${output}`));
    });
  });
  return {
    url,
    process: child,
    pid: child.pid ?? 0,
    output: () => output,
    async memory() {
      const status = await fs.readFile(`/proc/${child.pid}/status`, 'utf8');
      const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
      return { rss: kib('VmRSS'), peak: kib('VmHWM') };
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A child server on `dataDir` with extra flags (the reliability tests' shorthand). */
export async function startChildServer(dataDir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ChildServer & { kill(signal?: NodeJS.Signals): Promise<number | null> }> {
  const server = await spawnServer(['--data-dir', dataDir, ...args], env);
  return { ...server, kill: (signal: NodeJS.Signals = 'SIGKILL') => server.stop(signal) };
}
