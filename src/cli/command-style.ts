// One behaviour for every command of the tree: a usage error is one `presscloud: …` line that reaches main
// (exit 2), and option help has one look: `<dir>`-style values and `(env NAME, default VALUE)` notes.
import type { Command, Option } from 'commander';

/** Applies the style to `command` and everything below it; call once the tree is built (addCommand copies nothing). */
export function applyCommandStyle(command: Command): void {
  command
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(`presscloud: ${usageLine(command, message)}`) })
    .configureHelp({ optionDescription: describeOption });
  for (const sub of command.commands) applyCommandStyle(sub);
}

function describeOption(option: Option): string {
  const notes: string[] = [];
  if (option.mandatory) notes.push('required');
  if (option.envVar) notes.push(`env ${option.envVar}`);
  const shownDefault =
    option.defaultValueDescription ??
    (option.defaultValue === undefined || typeof option.defaultValue === 'boolean' ? undefined : String(option.defaultValue));
  if (shownDefault !== undefined) notes.push(`default ${shownDefault}`);
  return notes.length === 0 ? option.description : `${option.description} (${notes.join(', ')})`;
}

/** Commander's message without its `error: ` prefix; a missing required option also names its variable. */
function usageLine(command: Command, message: string): string {
  const line = message.replace(/^error: /, '');
  const missing = /^required option '(--[\w-]+)/.exec(line)?.[1];
  const envVar = command.options.find((option) => option.long === missing)?.envVar;
  return envVar ? line.replace(/\n?$/, ` (nor is ${envVar} set)\n`) : line;
}
