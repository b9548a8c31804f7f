// One HTTP/1.1 connection driven by hand: write any bytes, read answers one at a time (by Content-Length), and
// see whether the server kept the connection open. For what fetch hides: early answers, keep-alive, resets.
import net from 'node:net';

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export class RawConnection {
  private buffered = Buffer.alloc(0);
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake?.();
    });
    socket.on('end', () => this.finish());
    socket.on('close', () => this.finish());
    socket.on('error', (err) => this.finish(err));
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), hostname, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Resolves once the bytes are handed to the kernel, rejects if the connection is gone. */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  /** The next answer on the connection; rejects if the connection ends or fails before a whole one arrived. */
  async readAnswer(): Promise<RawAnswer> {
    for (;;) {
      const answer = this.takeAnswer();
      if (answer) return answer;
      if (this.failure) throw this.failure;
      if (this.ended) throw new Error(`the connection ended before an answer (had ${this.buffered.length} bytes)`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Resolves true once the server has closed the connection. */
  async closedByServer(): Promise<boolean> {
    while (!this.ended) await new Promise<void>((resolve) => (this.wake = resolve));
    return true;
  }

  /** Ends the client's side (FIN), keeping the connection open for the server's answer. */
  halfClose(): void {
    this.socket.end();
  }

  close(): void {
    this.socket.destroy();
  }

  /** Goes away as a crashed or killed client does: an RST, which the server cannot take for a half-close. */
  reset(): void {
    this.socket.resetAndDestroy();
  }

  private finish(err?: Error): void {
    this.ended = true;
    this.failure ??= err;
    this.wake?.();
  }

  private takeAnswer(): RawAnswer | null {
    const end = this.buffered.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const [statusLine, ...lines] = this.buffered.subarray(0, end).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers['content-length'] ?? 0);
    if (this.buffered.length < end + 4 + length) return null;
    const body = this.buffered.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buffered = this.buffered.subarray(end + 4 + length);
    return { status: Number(statusLine.split(' ')[1]), headers, body };
  }
}
