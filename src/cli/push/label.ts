// The label a push gives its manifest when --label does not: the pushed folder's own name, as a person calls it.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { isAppError } from '../../domain/errors.js';
import { MAX_LABEL_LENGTH, checkedLabel, withoutControls } from '../../domain/manifest-label.js';
import { CliError, EXIT_USAGE } from '../cli-error.js';

/** --label as given (checked by the server's own rule), else the folder's name. */
export async function labelOf(flag: string | undefined, directory: string): Promise<string | undefined> {
  if (flag === undefined) return defaultLabel(directory);
  try {
    return checkedLabel(flag) ?? undefined;
  } catch (err) {
    if (isAppError(err)) throw new CliError(`--label: ${err.message}`, EXIT_USAGE);
    throw err;
  }
}

async function defaultLabel(directory: string): Promise<string | undefined> {
  // `.` or `../site` name the folder the user means: its real name, not the argument as typed.
  const name = path.basename(await realpath(directory).catch(() => path.resolve(directory)));
  // A name with control characters or none at all (the root) gets no label rather than a refused session.
  const clean = withoutControls(name).slice(0, MAX_LABEL_LENGTH);
  return clean === '' ? undefined : clean;
}
