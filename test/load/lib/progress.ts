/** What a running load loop reports about once a second. */
export interface ProgressSnapshot {
  label: string;
  phase: 'warmup' | 'measure';
  /** Seconds since the phase started. */
  elapsedS: number;
  sent: number;
  acked: number;
  errors: number;
  /** Acks per second over the last interval. */
  rate: number;
  /** p99 (ms) of the requests acked in the last interval. */
  p99Ms: number;
}

/**
 * The live one-line status on stderr. On a terminal the line is rewritten in
 * place with `\r`; otherwise (CI logs, pipes) each update is a plain line.
 */
export class ProgressPrinter {
  private readonly tty: boolean;
  private open = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(stream.isTTY);
  }

  update(s: ProgressSnapshot): void {
    const line =
      `[${s.label}${s.phase === 'warmup' ? ' warmup' : ''}] ${s.elapsedS.toFixed(1)}s` +
      `  sent ${s.sent}  acked ${s.acked}  ${Math.round(s.rate)}/s  errors ${s.errors}  p99 ${s.p99Ms.toFixed(2)} ms`;
    this.status(line);
  }

  /** A free-form live line, for scripts whose progress is not the request loop's (chat, match, calls with media, slow-reader). */
  status(line: string): void {
    if (this.tty) {
      this.stream.write(`\r${line}\x1b[K`);
      this.open = true;
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** A message that must not be overwritten by the next update. */
  log(message: string): void {
    this.end();
    this.stream.write(`${message}\n`);
  }

  /** Ends the live line so that later output starts on a fresh line. */
  end(): void {
    if (this.open) this.stream.write('\n');
    this.open = false;
  }
}
