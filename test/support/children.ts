// Child processes for tests, killed whatever the outcome: each runs in a process group of its own, is
// recorded in the run's file (see child-registry.ts), and is killed, group and all, when its test file ends.
import { spawn, type ChildProcess, type ChildProcessByStdio, type SpawnOptions } from 'node:child_process';
import type { Readable } from 'node:stream';
import { afterAll, inject } from 'vitest';
import { killGroup, recordChild } from './child-registry.js';

const live = new Set<ChildProcess>();
let fileFinished = false;

// Registered while the importing test file is collected, so it is that file's last afterAll: it runs after
// the file's own teardown, also when a test failed or timed out. A timed-out test's code keeps running in
// the background; `fileFinished` stops it from starting a child nothing would kill any more.
afterAll(() => {
  fileFinished = true;
  for (const child of live) killChild(child);
});

/**
 * spawn() with stdout and stderr piped (stdin closed), detached into a group of its own so that killChild
 * takes anything the child started too.
 */
export function spawnChild(
  command: string,
  args: readonly string[],
  options: Omit<SpawnOptions, 'stdio' | 'detached'> = {},
): ChildProcessByStdio<null, Readable, Readable> {
  if (fileFinished) throw new Error(`not starting ${command} ${args.join(' ')}: its test file has already finished`);
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid !== undefined) {
    recordChild(inject('testRunDir'), child.pid);
    live.add(child);
    child.once('exit', () => live.delete(child));
  }
  return child;
}

/** SIGKILL to the child's whole group; nothing when it has already exited. */
export function killChild(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) killGroup(child.pid);
}
