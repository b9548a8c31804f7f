// Test timeouts, derived from what a test does rather than guessed: its time on an idle machine times the
// slowdown a busy CI machine may impose. They catch hangs; no test is judged on its speed.

/**
 * Beside two spinning processes and other test runs on 2 cores (load average 35), tests took up to ten times
 * their idle time; twice that is tolerated.
 */
export const SLOWDOWN_TOLERATED = 20;

/** The timeout for work that takes `idleMs` on an idle machine. */
export function allowFor(idleMs: number): number {
  return idleMs * SLOWDOWN_TOLERATED;
}
