// The presscloud command line: one program, a file per subcommand.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './cli-error.js';
import { applyCommandStyle } from './command-style.js';
import { aliasCommand } from './alias.js';
import { gcCommand } from './gc.js';
import { manifestsCommand } from './manifests.js';
import { pullCommand } from './pull.js';
import { pushCommand } from './push.js';
import { serveCommand } from './serve.js';
import { tokenCommand } from './token.js';

export async function runCli(argv: string[]): Promise<void> {
  const program = new Command('presscloud')
    .description('PressCloud upload service: serve it, manage its tokens, push directories to it, pull them back, list them')
    .version(packageVersion(), '-V, --version', 'print the version')
    .addCommand(serveCommand())
    .addCommand(tokenCommand())
    .addCommand(pushCommand())
    .addCommand(pullCommand())
    .addCommand(manifestsCommand())
    .addCommand(aliasCommand())
    .addCommand(gcCommand())
    .addHelpText('after', '\nExit codes: 0 done; 1 failed; 2 usage error; 130 interrupted (Ctrl-C).');
  applyCommandStyle(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; usage mistakes exit 2 (commander already printed the line).
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    process.stderr.write(`presscloud: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : err instanceof ConfigError ? EXIT_USAGE : EXIT_FAILURE;
  }
}

/** dist/cli/main.js and src/cli/main.ts both sit two levels below the package root. */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}
