// Messages for a limit the request went over: they name the limit and the setting that changes it, so the
// person who sees a 413 knows what to ask the operator for.
import { SETTINGS, type Config } from '../config.js';

const UNITS: ReadonlyArray<[number, string]> = [
  [1024 ** 3, 'GiB'],
  [1024 ** 2, 'MiB'],
  [1024, 'KiB'],
];

/** "4 KiB", "64 MiB", "1000 bytes": exact, in the largest unit that divides the count. */
export function byteCount(bytes: number): string {
  const unit = UNITS.find(([size]) => bytes >= size && bytes % size === 0);
  return unit ? `${bytes / unit[0]} ${unit[1]}` : `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
}

/** `${what} is over this server's limit of ${limit}, set by --flag (ENV).` */
export function overLimitMessage(what: string, limit: string, setting: keyof Config): string {
  const known = SETTINGS.find((s) => s.key === setting);
  const source = known ? `, set by --${known.flag} (${known.env})` : '';
  return `${what} is over this server's limit of ${limit}${source}.`;
}
