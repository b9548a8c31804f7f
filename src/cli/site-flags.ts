// Alias names and manifest ids as command-line arguments: a malformed one is a usage error (exit 2),
// caught before any request.
import { InvalidArgumentError } from 'commander';
import { isSha256 } from '../domain/blob-key.js';
import { isAliasName } from '../domain/site-links.js';

export function aliasNameArgument(value: string): string {
  if (!isAliasName(value)) {
    throw new InvalidArgumentError(
      'an alias name is 1–63 characters of a-z, 0-9 and "-", not starting or ending with "-", nor 32 hex digits.',
    );
  }
  return value;
}

export function manifestIdArgument(value: string): string {
  if (!isSha256(value)) throw new InvalidArgumentError('a manifest id is 64 hexadecimal digits.');
  return value.toLowerCase();
}
