// `presscloud serve` (the built CLI, dist/) as a child process on 127.0.0.1 and a free port, with its
// output kept for assertions, for tests that need a real process: signals, crashes, log lines.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { killChild, spawnChild } from './children.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/presscloud.js');
const SERVING = /presscloud: serving on (http:\/\/\S+)/;

export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /**
   * Resolves once stdout or stderr contains `text`; rejects when the process exits first. It has no clock of
   * its own: how long a start or a drain may take is the enclosing test's timeout, set for what that test does.
   */
  waitForOutput(text: string | RegExp): Promise<void>;
  /** The exit: its code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL to its process group unless already gone; resolves once it has exited. */
  kill(): Promise<void>;
}

export async function startServeProcess(
  dataDir: string,
  extraArgs: string[] = [],
  env: Readonly<Record<string, string>> = {},
): Promise<ServeProcess> {
  // Only what the test passes: a developer's own PRESSCLOUD_* variables must not leak in.
  const args = [BIN, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0', '--gc-interval', '0', ...extraArgs];
  const child = spawnChild(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  let gone = false;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    notify();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    notify();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      gone = true;
      resolve({ code, signal });
      notify();
    });
  });

  const waitForOutput = (text: string | RegExp) =>
    new Promise<void>((resolve, reject) => {
      const finish = (settle: () => void) => {
        listeners.delete(check);
        settle();
      };
      const check = () => {
        const all = stdout + stderr;
        if (typeof text === 'string' ? all.includes(text) : text.test(all)) finish(resolve);
        else if (gone) finish(() => reject(new Error(`server exited before printing ${String(text)}:\n${all}`)));
      };
      listeners.add(check);
      check();
    });

  const kill = async () => {
    if (!gone) killChild(child);
    await exited;
  };
  try {
    await waitForOutput(SERVING);
  } catch (err) {
    await kill();
    throw err;
  }
  return { url: SERVING.exec(stderr)?.[1] ?? '', child, stdout: () => stdout, stderr: () => stderr, waitForOutput, exited, kill };
}

/** Resident and peak resident memory of a process, from /proc, in bytes. */
export async function processMemory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const bytes = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: bytes('VmRSS'), peak: bytes('VmHWM') };
}
