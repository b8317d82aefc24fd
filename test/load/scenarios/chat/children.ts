import { setTimeout as sleep } from 'node:timers/promises';
import { reap, spawnTs, startBaseline } from '../../lib/children.js';
import type { ProgressPrinter } from '../../lib/progress.js';
import { PidSampler } from './probe.js';
import type { FromChatDriver, ToChatDriver } from './protocol.js';
import { chatProgressLine } from './report.js';

/** The child processes of the chat bench: the driver (the clients) and the bare relay nodes. */

export interface RelayNode {
  url: string;
  sampler: PidSampler;
  stop(): Promise<void>;
}

/** One bare relay node (bare-relay.ts); with `redis`, joined to the others by the sharded Redis adapter. */
export async function startRelay(redis?: { url: string; prefix: string }): Promise<RelayNode> {
  const relay = await startBaseline(
    new URL('./bare-relay.ts', import.meta.url),
    redis ? ['--redis-url', redis.url, '--prefix', redis.prefix] : [],
    'bare relay',
  );
  const heap = () =>
    Promise.race([relay.sample().then((s) => ({ heapBytes: s.heapUsedBytes }), () => undefined), sleep(3000, undefined, { ref: false })]);
  const sampler = new PidSampler(relay.pid, heap);
  return {
    url: relay.url,
    sampler,
    async stop() {
      sampler.stop();
      await relay.stop();
    },
  };
}

/**
 * The driver child, walked through its protocol. Logs, progress and funding
 * requests are handled as they come; everything else is awaited in order
 * with `wait(type)`, each with a deadline.
 */
export class ChatDriver {
  private readonly child = spawnTs(new URL('./driver.ts', import.meta.url));
  private readonly queue: FromChatDriver[] = [];
  private waiter: { resolve(m: FromChatDriver): void; reject(err: Error): void } | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly printer: ProgressPrinter,
    private readonly fund: (userIds: string[]) => Promise<void>,
  ) {
    this.child.on('message', (m: FromChatDriver) => {
      switch (m.type) {
        case 'log':
          return printer.log(m.message);
        case 'progress':
          return printer.status(chatProgressLine(m.snapshot));
        case 'fund':
          return void this.fund(m.userIds).then(
            () => this.send({ type: 'funded' }),
            (err: Error) => this.abort(new Error(`funding failed: ${err.message}`)),
          );
        case 'failed':
          return this.abort(new Error(`chat driver failed: ${m.message}`));
        default:
          if (this.waiter) {
            const w = this.waiter;
            this.waiter = undefined;
            w.resolve(m);
          } else this.queue.push(m);
      }
    });
    this.child.once('exit', (code, signal) => this.abort(new Error(`chat driver exited (${signal ?? code})`)));
  }

  private abort(err: Error): void {
    this.failure ??= err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failure);
  }

  send(m: ToChatDriver): void {
    if (this.child.connected) this.child.send(m);
  }

  async wait<T extends FromChatDriver['type']>(type: T, timeoutMs: number): Promise<Extract<FromChatDriver, { type: T }>> {
    const m = this.queue.shift() ?? (await this.nextMessage(type, timeoutMs));
    if (m.type !== type) throw new Error(`chat driver sent "${m.type}", expected "${type}"`);
    return m as Extract<FromChatDriver, { type: T }>;
  }

  private nextMessage(type: string, timeoutMs: number): Promise<FromChatDriver> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`chat driver: no "${type}" within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.waiter = {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (err) => (clearTimeout(timer), reject(err)),
      };
    });
  }

  async stop(): Promise<void> {
    this.send({ type: 'exit' });
    if (this.child.connected) this.child.disconnect();
    await reap(this.child, 5000);
  }
}
