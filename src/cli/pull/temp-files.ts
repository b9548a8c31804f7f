// The temporary files a pull writes beside their targets before renaming them into place, and the sweep that
// removes those a killed pull left behind.
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/** `.presscloud-pull-<pid>-<random>.tmp`: short whatever the target's name, and naming the process that wrote it. */
const TEMP_NAME = /^\.presscloud-pull-(\d+)-[0-9a-f]{8}\.tmp$/;

/** A fresh temp path in the target's own directory, so the rename never crosses a filesystem. */
export function tempPathBeside(target: string): string {
  return path.join(path.dirname(target), `.presscloud-pull-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Removes the temp files of pulls that no longer run (a `kill -9`, a power cut) from `directory`, sparing the
 * names the manifest itself lists there and those of a live process (a concurrent pull). Returns how many went.
 */
export async function sweepStaleTemps(directory: string, listed: ReadonlySet<string>): Promise<number> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let removed = 0;
  for (const name of names) {
    const writer = TEMP_NAME.exec(name)?.[1];
    if (writer === undefined || listed.has(name) || isRunning(Number(writer))) continue;
    await rm(path.join(directory, name), { force: true });
    removed++;
  }
  return removed;
}

function isRunning(pid: number): boolean {
  // A pid that is ours now was reused: its temp file is from an earlier process.
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, another user's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
