// The presscloud command line: one program, a file per subcommand.
import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error.js';
import { serveCommand } from './serve.js';
import { tokenCommand } from './token.js';
import { pushCommand } from './push.js';
import { pullCommand } from './pull.js';
import { gcCommand } from './gc.js';

export async function runCli(argv: string[]): Promise<void> {
  const program = new Command('presscloud')
    .description('PressCloud upload service: serve it, manage its tokens, push directories to it')
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(serveCommand());
  program.addCommand(tokenCommand());
  program.addCommand(pushCommand());
  program.addCommand(pullCommand());
  program.addCommand(gcCommand());
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; usage mistakes exit 2 (commander already printed the line).
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`presscloud: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : 1;
  }
}
