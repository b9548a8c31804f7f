// The embedded default's exclusive claim on its data directory: an OS record lock on <dataDir>/serve.lock,
// taken through SQLite (Node has no flock). The kernel drops it when the process ends, kill -9 included,
// so nothing stale is ever left to clean up by hand.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { CliError, EXIT_FAILURE } from './cli-error.js';

export const LOCK_FILE = 'serve.lock';

export interface DataDirLock {
  release(): void;
}

/** Takes the lock or throws a CliError; the directory is created (only `serve` calls this). */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  // timeout 0: a held lock is an answer, not something to wait for.
  const db = new SQLite(file, { timeout: 0 });
  try {
    // An exclusive transaction left open holds SQLite's EXCLUSIVE fcntl lock for the life of the connection;
    // a journal in memory keeps the lock file alone in the directory.
    db.pragma('journal_mode = MEMORY');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new CliError(`another presscloud serve is using ${dataDir} (it holds ${file}); stop it or give this one another --data-dir`);
    }
    throw new CliError(`cannot lock ${file}: ${err instanceof Error ? err.message : String(err)}`, EXIT_FAILURE, { cause: err });
  }
  return { release: () => db.close() };
}
