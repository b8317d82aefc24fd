import type { ChildProcess } from 'node:child_process';
import { reap, spawnTs } from './children.js';
import type { ChatProgressPrinter } from './chat-report.js';
import type { FromChatDriver, ToChatDriver } from './chat-protocol.js';
import type { FromBare, ToBare } from './ipc.js';
import { PidSampler } from './chat-probe.js';

/** The child processes of chat-bench: the driver (the clients) and the bare relay nodes. */

export interface RelayNode {
  url: string;
  sampler: PidSampler;
  stop(): Promise<void>;
}

/** One bare relay node (chat-bare-relay.ts); with `redis`, joined to the others by the sharded Redis adapter. */
export async function startRelay(redis?: { url: string; prefix: string }): Promise<RelayNode> {
  const child = spawnTs('chat-bare-relay.ts', redis ? ['--redis-url', redis.url, '--prefix', redis.prefix] : []);
  const probes: Array<(heap: number) => void> = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bare relay did not start within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`bare relay exited (${code})`)));
    child.on('message', (m: FromBare) => {
      if (m.type === 'listening') {
        clearTimeout(timer);
        resolve(m.port);
      } else if (m.type === 'probe') probes.shift()?.(m.sample.heapUsedBytes);
      else if (m.type === 'failed') reject(new Error(`bare relay failed: ${m.message}`));
    });
  }).catch(async (err) => {
    child.kill('SIGKILL');
    throw err;
  });
  const heap = () =>
    new Promise<number | undefined>((resolve) => {
      if (!child.connected) return resolve(undefined);
      probes.push(resolve);
      child.send({ type: 'probe' } satisfies ToBare);
      setTimeout(() => resolve(undefined), 3000).unref();
    });
  const sampler = new PidSampler(child.pid!, heap);
  return {
    url: `http://127.0.0.1:${port}`,
    sampler,
    async stop() {
      sampler.stop();
      if (child.connected) child.send({ type: 'stop' } satisfies ToBare);
      await reap(child, 5000);
    },
  };
}

/**
 * The driver child, walked through its protocol. Logs, progress and funding
 * requests are handled as they come; everything else is awaited in order
 * with `wait(type)`, each with a deadline.
 */
export class ChatDriver {
  private readonly child = spawnTs('chat-driver.ts');
  private readonly queue: FromChatDriver[] = [];
  private waiter: { resolve(m: FromChatDriver): void; reject(err: Error): void } | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly printer: ChatProgressPrinter,
    private readonly fund: (userIds: string[]) => Promise<void>,
  ) {
    this.child.on('message', (m: FromChatDriver) => {
      switch (m.type) {
        case 'log':
          return printer.log(m.message);
        case 'progress':
          return printer.chat(m.snapshot);
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
