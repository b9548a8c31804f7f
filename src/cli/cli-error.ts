// A failure the CLI reports as one line on stderr, with its exit code.
export const EXIT_FAILURE = 1;
/** Usage, authentication or permission errors. */
export const EXIT_USAGE = 2;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: typeof EXIT_FAILURE | typeof EXIT_USAGE = EXIT_FAILURE,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}
