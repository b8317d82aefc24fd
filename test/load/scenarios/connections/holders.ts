import type { ChildProcess } from 'node:child_process';
import { reap, spawnTs } from '../../lib/children.js';
import type { FromHolder, HolderAuth, HolderCounts, ToHolder } from './protocol.js';

/** The client processes of the connections bench (holder.ts), driven together. */
export class Holders {
  private readonly children: ChildProcess[];
  private readonly latest: HolderCounts[];
  private readonly waiters: Array<Array<(m: FromHolder) => void>>;
  private failure: Error | undefined;

  constructor(n: number) {
    this.children = Array.from({ length: n }, () => spawnTs(new URL('./holder.ts', import.meta.url)));
    this.latest = this.children.map(() => emptyCounts());
    this.waiters = this.children.map(() => []);
    this.children.forEach((c, i) => {
      c.on('message', (m: FromHolder) => {
        if (m.type === 'progress' || m.type === 'opened') this.latest[i] = m.counts;
        if (m.type === 'failed') this.failure ??= new Error(`client process ${i} failed: ${m.message}`);
        if (m.type !== 'progress') this.waiters[i]!.shift()?.(m);
      });
      c.once('exit', (code, signal) => (this.failure ??= new Error(`client process ${i} exited (${signal ?? code})`)));
    });
  }

  /** The latest counts of every process, added up. */
  total(): HolderCounts {
    const t = emptyCounts();
    for (const c of this.latest) {
      t.connected += c.connected;
      t.connects += c.connects;
      t.drops += c.drops;
      for (const [k, v] of Object.entries(c.errors)) t.errors[k] = (t.errors[k] ?? 0) + v;
      if (c.firstDropAt && (!t.firstDropAt || c.firstDropAt < t.firstDropAt)) t.firstDropAt = c.firstDropAt;
      t.lastConnectAt = Math.max(t.lastConnectAt, c.lastConnectAt);
    }
    return t;
  }

  /** Opens `sockets` over the processes; resolves when every process has opened its share. */
  async open(url: string, sockets: number, concurrency: number, auth: HolderAuth): Promise<void> {
    const n = this.children.length;
    const share = (i: number) => Math.floor(sockets / n) + (i < sockets % n ? 1 : 0);
    let first = 0;
    await Promise.all(
      this.children.map((_, i) => {
        const m: ToHolder = { type: 'open', url, sockets: share(i), firstIndex: first, concurrency, auth };
        first += share(i);
        return this.ask(i, m, 'opened');
      }),
    );
  }

  arm(): void {
    this.children.forEach((c, i) => {
      this.latest[i] = emptyCounts();
      c.send({ type: 'arm' } satisfies ToHolder);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.children.map((_, i) => this.ask(i, { type: 'close' }, 'closed')));
    this.latest.fill(emptyCounts());
  }

  /** Throws what a client process reported, if any. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  async stop(): Promise<void> {
    for (const c of this.children) if (c.connected) c.send({ type: 'exit' } satisfies ToHolder);
    await Promise.all(this.children.map((c) => reap(c, 5000)));
  }

  private ask(i: number, m: ToHolder, answer: FromHolder['type']): Promise<FromHolder> {
    this.check();
    return new Promise((resolve, reject) => {
      const poll = setInterval(() => {
        if (this.failure) {
          clearInterval(poll);
          reject(this.failure);
        }
      }, 200);
      this.waiters[i]!.push((reply) => {
        clearInterval(poll);
        if (reply.type === answer) resolve(reply);
        else reject(new Error(`client process ${i} answered "${reply.type}", expected "${answer}"${reply.type === 'failed' ? `: ${reply.message}` : ''}`));
      });
      this.children[i]!.send(m);
    });
  }
}

function emptyCounts(): HolderCounts {
  return { connected: 0, connects: 0, errors: {}, drops: 0, firstDropAt: 0, lastConnectAt: 0 };
}
