import type { Server } from 'socket.io';

/**
 * The Socket.IO console's per-second counts (connections, disconnections, packets and bytes each way),
 * kept as @socket.io/admin-ui 0.5 keeps them and read by its dashboard the same way (`server_stats` every
 * 2 s, `aggregatedEvents`), but cheaper on the hot path: admin-ui gives every connection three closures
 * of its own and, for every packet in or out, builds a `Date` and a string key twice. Measured at the chat
 * ceiling, that was 2% of the node's CPU and 0.6 KB of heap per idle socket (BENCHMARKS.md). Here the
 * listeners are shared by every connection (`this` is the connection) and a packet adds to counters of
 * the current second.
 *
 * `install` runs admin-ui's `instrument()`; its own engine listener is taken out again and these put in.
 */
export function countSocketAdminEvents(io: Server, install: () => void): void {
  const engine = io.engine;
  const before = new Set(engine.listeners('connection'));
  install();
  for (const l of engine.listeners('connection')) if (!before.has(l)) engine.off('connection', l as (...a: unknown[]) => void);
  const internals = io as unknown as AdminUiInternals;
  const counts = new PerSecondCounts();
  internals._eventBuffer = counts;
  internals._pollingClientsCount = 0;

  function packetOut(this: unknown, packet: { data?: unknown }): void {
    if (packet.data) counts.packet('packetsOut', 'bytesOut', packet.data);
  }
  function packetIn(this: unknown, packet: { data?: unknown }): void {
    if (packet.data) counts.packet('packetsIn', 'bytesIn', packet.data);
  }
  function closed(this: unknown, reason: string): void {
    counts.push('rawDisconnection', reason);
  }
  engine.on('connection', (raw: RawConnection) => {
    counts.push('rawConnection');
    if (raw.transport.name === 'polling') {
      // Rare (clients that cannot open a websocket): counted as admin-ui counts them.
      internals._pollingClientsCount++;
      const decrement = () => void internals._pollingClientsCount--;
      raw.once('upgrade', () => {
        raw.removeListener('close', decrement);
        decrement();
      });
      raw.once('close', decrement);
    }
    raw.on('packetCreate', packetOut);
    raw.on('packet', packetIn);
    raw.on('close', closed);
  });
}

/** What admin-ui reads on the server (0.5.x; not in its typings). */
interface AdminUiInternals {
  _eventBuffer: { push(type: string, subType?: string, count?: number): void; getValuesAndClear(): AggregatedEvent[] };
  _pollingClientsCount: number;
}

interface RawConnection {
  transport: { name: string };
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: () => void): unknown;
  removeListener(event: string, listener: () => void): unknown;
}

/** One line of admin-ui's `aggregatedEvents`: how many of a kind in the second that starts at `timestamp`. */
export interface AggregatedEvent {
  timestamp: number;
  type: string;
  subType: string | undefined;
  count: number;
}

/** admin-ui's event buffer, keyed by second only when the second changes, not on every packet. */
export class PerSecondCounts {
  private second = 0;
  /** The current second's counts by type (and sub-type). */
  private current = new Map<string, AggregatedEvent>();
  private done: AggregatedEvent[] = [];

  push(type: string, subType?: string, count = 1): void {
    this.add(subType === undefined ? type : `${type};${subType}`, type, subType, count);
  }

  /** A packet: one more of `packets`, its size in UTF-8 bytes more of `bytes`. */
  packet(packets: string, bytes: string, data: unknown): void {
    this.add(packets, packets, undefined, 1);
    this.add(bytes, bytes, undefined, typeof data === 'string' ? Buffer.byteLength(data) : ((data as { byteLength?: number }).byteLength ?? 0));
  }

  getValuesAndClear(): AggregatedEvent[] {
    const values = [...this.done, ...this.current.values()];
    this.done = [];
    this.current = new Map();
    return values;
  }

  private add(key: string, type: string, subType: string | undefined, count: number): void {
    const now = Date.now();
    const second = now - (now % 1000);
    if (second !== this.second) {
      for (const e of this.current.values()) this.done.push(e);
      this.current = new Map();
      this.second = second;
    }
    const e = this.current.get(key);
    if (e) e.count += count;
    else this.current.set(key, { timestamp: second, type, subType, count });
  }
}
