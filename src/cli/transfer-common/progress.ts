// Progress on stderr: one live line redrawn in place on a terminal, a few plain lines otherwise.
import { PLAIN_PROGRESS_INTERVAL_MS, PROGRESS_REDRAW_MS } from './constants.js';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** What each phase's summary line says it did. */
const DONE_VERB = { hashing: 'hashed', uploading: 'uploaded', checking: 'checked', downloading: 'downloaded' } as const;

type Phase = keyof typeof DONE_VERB;

interface PhaseState {
  phase: Phase;
  /** Singular: `file`, `blob`. */
  unit: string;
  totalItems: number;
  totalBytes: number;
  doneItems: number;
  doneBytes: number;
  startedAt: number;
}

export class ProgressDisplay {
  private readonly stream: ProgressStream;
  private readonly live: boolean;
  private state: PhaseState | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lineShown = false;

  constructor(stream: ProgressStream, options: { live?: boolean } = {}) {
    this.stream = stream;
    this.live = options.live ?? stream.isTTY === true;
  }

  start(phase: Phase, unit: string, totalItems: number, totalBytes: number): void {
    this.end();
    this.state = { phase, unit, totalItems, totalBytes, doneItems: 0, doneBytes: 0, startedAt: Date.now() };
    if (this.live) {
      this.timer = setInterval(() => this.redraw(), PROGRESS_REDRAW_MS);
    } else {
      this.stream.write(`${phase} ${counted(totalItems, unit)} (${formatBytes(totalBytes)})\n`);
      this.timer = setInterval(() => this.stream.write(`${this.describe()}\n`), PLAIN_PROGRESS_INTERVAL_MS);
    }
    this.timer.unref();
  }

  /** Bytes moved; negative when a failed upload's bytes must be sent again. */
  addBytes(bytes: number): void {
    if (this.state) this.state.doneBytes += bytes;
  }

  addItem(): void {
    if (this.state) this.state.doneItems += 1;
  }

  /** A line of its own (a warning, a retry) that must not be overwritten by the live line. */
  note(message: string): void {
    this.clearLine();
    this.stream.write(`${message}\n`);
    if (this.live) this.redraw();
  }

  /** Closes the phase with a summary line; `detail` goes in parentheses after the count. */
  end(detail?: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.state) return;
    const { phase, doneItems, unit, doneBytes, startedAt } = this.state;
    const seconds = (Date.now() - startedAt) / 1000;
    this.clearLine();
    const verb = DONE_VERB[phase];
    const what = `${verb} ${counted(doneItems, unit)}${detail ? ` (${detail})` : ''}`;
    this.stream.write(`${what}, ${formatBytes(doneBytes)} in ${seconds.toFixed(1)} s (${formatRate(doneBytes, seconds)})\n`);
    this.state = undefined;
  }

  describe(): string {
    if (!this.state) return '';
    const { phase, unit, totalItems, totalBytes, doneItems, doneBytes, startedAt } = this.state;
    const seconds = (Date.now() - startedAt) / 1000;
    const rate = seconds > 0 ? doneBytes / seconds : 0;
    const eta = rate > 0 ? `ETA ${formatDuration(Math.max(0, totalBytes - doneBytes) / rate)}` : 'ETA --';
    const bytes = `${formatBytes(doneBytes)}/${formatBytes(totalBytes)}`;
    return `${phase} ${doneItems}/${counted(totalItems, unit)}  ${bytes}  ${formatRate(doneBytes, seconds)}  ${eta}`;
  }

  private redraw(): void {
    if (!this.state) return;
    // A pseudo-terminal may report 0 columns: fall back to a width every terminal has.
    const columns = (this.stream as { columns?: number }).columns || 100;
    this.stream.write(`\r\x1b[2K${this.describe().slice(0, columns - 1)}`);
    this.lineShown = true;
  }

  private clearLine(): void {
    if (this.live && this.lineShown) this.stream.write('\r\x1b[2K');
    this.lineShown = false;
  }
}

/** `1 blob`, `2 blobs`. */
export function counted(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function formatRate(bytes: number, seconds: number): string {
  return seconds > 0 ? `${formatBytes(Math.round(bytes / seconds))}/s` : '-- B/s';
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
