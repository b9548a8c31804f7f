// Ctrl-C during a push: the reason its steps stop with, carrying the one line the user reads.

export class PushInterrupted extends Error {
  constructor(message = 'interrupted') {
    super(message);
    this.name = 'PushInterrupted';
  }
}

/** Exit code of a push ended by Ctrl-C: 128 + SIGINT, as shells report it. */
export const EXIT_INTERRUPTED = 130;
