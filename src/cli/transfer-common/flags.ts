// The options every command that talks to a server shares (`--url`, `--token`, retries, stalls, concurrency),
// so `push`, `pull` and `manifests` spell, parse and document them the same way.
import { InvalidArgumentError, Option } from 'commander';
import { CliError, EXIT_USAGE } from '../cli-error.js';
import { defaultRetryPolicy } from '../../client/upload/retry.js';
import { DEFAULT_RETRY_WINDOW_SECONDS, DEFAULT_STALL_TIMEOUT_SECONDS, MAX_CONCURRENCY } from './constants.js';
import type { ProgressDisplay } from './progress.js';
import type { RetryPolicy } from '../../client/upload/retry.js';

/** The parsed flags every transfer command shares. */
export interface TransferFlags {
  url: string;
  token: string;
  concurrency: number;
  /** A cap on attempts per request; none by default (the window decides). */
  retries?: number;
  /** Seconds a failing request is retried for. */
  retryWindow: number;
  stallTimeout: number;
}

/** What push and pull both need to talk to the server: where, as whom, how many at once, how hard to retry. */
export interface TransferOptions {
  url: string;
  token: string;
  concurrency: number;
  retryPolicy: RetryPolicy;
  stallTimeoutMs: number;
  progress: ProgressDisplay;
}

export function transferOptionsOf(flags: TransferFlags, progress: ProgressDisplay): TransferOptions {
  return {
    url: validUrl(flags.url),
    token: flags.token,
    concurrency: flags.concurrency,
    retryPolicy: retryPolicyOf(flags.retries, flags.retryWindow),
    stallTimeoutMs: flags.stallTimeout * 1000,
    progress,
  };
}

export function urlOption(): Option {
  return new Option('--url <url>', "PressCloud server's root URL, e.g. http://127.0.0.1:8080").env('PRESSCLOUD_URL').makeOptionMandatory();
}

/** `scope` is the one the command needs, named in the help. */
export function tokenOption(scope: 'upload' | 'read' | 'publish'): Option {
  return new Option('--token <token>', `API token with the ${scope} scope`).env('PRESSCLOUD_TOKEN').makeOptionMandatory();
}

export function concurrencyOption(what: string, defaultValue: number): Option {
  return new Option('--concurrency <n>', what).argParser(integerIn(1, MAX_CONCURRENCY)).default(defaultValue);
}

export function retriesOption(): Option {
  return new Option('--retries <n>', 'at most this many attempts per request (no cap: --retry-window decides)').argParser(
    integerIn(1, 100),
  );
}

export function retryWindowOption(): Option {
  return new Option('--retry-window <seconds>', 'keep retrying a failing request for this long (a server restart, a network drop)')
    .argParser(positiveNumber)
    .default(DEFAULT_RETRY_WINDOW_SECONDS);
}

export function stallTimeoutOption(): Option {
  return new Option('--stall-timeout <seconds>', 'abort and retry a request that makes no progress for this long')
    .argParser(positiveNumber)
    .default(DEFAULT_STALL_TIMEOUT_SECONDS);
}

export function retryPolicyOf(attempts: number | undefined, windowSeconds = DEFAULT_RETRY_WINDOW_SECONDS): RetryPolicy {
  return defaultRetryPolicy({ attempts, windowMs: windowSeconds * 1000 });
}

/** The server's root as an http(s) URL; `host:port` without a scheme gets the likely fix in the message. */
export function validUrl(value: string): string {
  const hint = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? '' : ` (did you mean http://${value}?)`;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new CliError(`--url must be an http:// or https:// URL, not ${value}${hint}`, EXIT_USAGE);
  }
  return url.href;
}

export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    }
    return parsed;
  };
}

function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a positive number of seconds.');
  return parsed;
}
