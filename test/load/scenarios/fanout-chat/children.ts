import { reap, spawnTs } from '../../lib/children.js';
import type { ProgressPrinter } from '../../lib/progress.js';
import type { ChatProgress } from '../chat/protocol.js';
import type { FromFanDriver, ToFanDriver } from './protocol.js';

/**
 * The chat driver child (driver.ts) seen from the bench: logs and progress
 * are handled as they come, everything else is awaited in order with
 * `wait(type)`, each with a deadline.
 */
export class FanDriver {
  private readonly child = spawnTs(new URL('./driver.ts', import.meta.url));
  private readonly queue: FromFanDriver[] = [];
  private waiter: { resolve(m: FromFanDriver): void; reject(err: Error): void } | undefined;
  private failure: Error | undefined;

  constructor(printer: ProgressPrinter, onProgress: (s: ChatProgress) => void) {
    this.child.on('message', (m: FromFanDriver) => {
      if (m.type === 'log') return printer.log(m.message);
      if (m.type === 'progress') return onProgress(m.snapshot);
      if (m.type === 'failed') return this.abort(new Error(`chat driver failed: ${m.message}`));
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w.resolve(m);
      } else this.queue.push(m);
    });
    this.child.once('exit', (code, signal) => this.abort(new Error(`chat driver exited (${signal ?? code})`)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  private abort(err: Error): void {
    this.failure ??= err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failure);
  }

  send(m: ToFanDriver): void {
    // With a callback a failed write (the child already gone) comes back here instead of as an 'error' event.
    if (this.child.connected) this.child.send(m, (err) => err && this.abort(err));
  }

  async wait<T extends FromFanDriver['type']>(type: T, timeoutMs: number): Promise<Extract<FromFanDriver, { type: T }>> {
    const m =
      this.queue.shift() ??
      (await new Promise<FromFanDriver>((resolve, reject) => {
        if (this.failure) return reject(this.failure);
        const timer = setTimeout(() => {
          this.waiter = undefined;
          reject(new Error(`chat driver: no "${type}" within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
        this.waiter = {
          resolve: (x) => (clearTimeout(timer), resolve(x)),
          reject: (err) => (clearTimeout(timer), reject(err)),
        };
      }));
    if (m.type !== type) throw new Error(`chat driver sent "${m.type}", expected "${type}"`);
    return m as Extract<FromFanDriver, { type: T }>;
  }

  async stop(): Promise<void> {
    this.send({ type: 'exit' });
    if (this.child.connected) this.child.disconnect();
    await reap(this.child, 5000);
  }
}
