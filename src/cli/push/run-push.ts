// `presscloud push` once its flags are parsed: builds the push options and runs the push or the dry run.
// A module of its own so that src/cli/push.ts (loaded by every command) imports none of the client.
import { CliError, EXIT_USAGE } from '../cli-error.js';
import { RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS } from './constants.js';
import { describeDryRun, dryRunPush } from './dry-run.js';
import { defaultHashCacheDir } from './hash-cache.js';
import { ProgressDisplay } from './progress.js';
import { pushDirectory } from './push-directory.js';
import type { PushOptions } from './push-directory.js';

export { toCliError } from './failure.js';

export interface PushFlags {
  url: string;
  token: string;
  concurrency: number;
  retries: number;
  stallTimeout: number;
  sessionTtl?: number;
  dryRun?: boolean;
  json?: boolean;
  /** False with `--no-cache`. */
  cache: boolean;
}

export async function runPush(directory: string, flags: PushFlags): Promise<void> {
  const options: PushOptions = {
    directory,
    url: validUrl(flags.url),
    token: flags.token,
    concurrency: flags.concurrency,
    retryPolicy: { attempts: flags.retries, baseDelayMs: RETRY_BASE_DELAY_MS, maxDelayMs: RETRY_MAX_DELAY_MS },
    stallTimeoutMs: flags.stallTimeout * 1000,
    sessionTtlSeconds: flags.sessionTtl,
    progress: new ProgressDisplay(process.stderr),
    hashCacheDir: flags.cache ? defaultHashCacheDir(process.env) : undefined,
  };
  if (flags.dryRun) {
    const report = await dryRunPush(options);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      for (const file of report.files) process.stdout.write(`${file.path}\n`);
      process.stderr.write(`${describeDryRun(report)}\n`);
    }
    return;
  }
  const summary = await pushDirectory(options);
  process.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : `${summary.manifestId}\n`);
}

function validUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`--url ${value} is not a URL`, EXIT_USAGE);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--url must be http or https: ${value}`, EXIT_USAGE);
  return url.href;
}

