// The run's record of the child processes tests start: one process-group id a line in a file of the run's
// directory, appended by the workers and read by the global teardown, which kills and names any survivor.
import fs from 'node:fs';
import path from 'node:path';

const CHILDREN_FILE = 'children.pids';

/** Appends the group id; appendFileSync, so that the line is on disk before the child can outlive us. */
export function recordChild(runDir: string, pid: number): void {
  fs.appendFileSync(path.join(runDir, CHILDREN_FILE), `${pid}\n`);
}

/** SIGKILL to the whole group (a child is its group's leader); false when the group is already gone. */
export function killGroup(pid: number): boolean {
  try {
    process.kill(-pid, 'SIGKILL');
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** Kills every recorded group still alive and returns them with what each was running, for the failure message. */
export function killSurvivors(runDir: string): Array<{ pid: number; command: string }> {
  let recorded: string;
  try {
    recorded = fs.readFileSync(path.join(runDir, CHILDREN_FILE), 'utf8');
  } catch {
    return []; // no test started a child
  }
  const survivors: Array<{ pid: number; command: string }> = [];
  for (const pid of new Set(recorded.split('\n').filter(Boolean).map(Number))) {
    const command = commandOf(pid);
    if (killGroup(pid)) survivors.push({ pid, command });
  }
  return survivors;
}

function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '(its leader has exited; others of its group remained)';
  }
}
