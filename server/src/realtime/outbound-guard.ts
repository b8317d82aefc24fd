import type { Logger } from '../logger.js';

/**
 * The parts of an Engine.IO connection the guard reads. engine.io keeps them
 * public but socket.io's types do not carry them; `transport.socket` is the
 * `ws` WebSocket of the websocket transport.
 */
export interface EngineConnection {
  id: string;
  readyState: string;
  transport: { name: string; socket?: { bufferedAmount?: number; terminate?: () => void } };
  on(event: 'packetCreate', fn: (packet: { data?: unknown }) => void): unknown;
  on(event: 'flush', fn: () => void): unknown;
  close(discard?: boolean): unknown;
}

/** Unsent bytes in the engine's write buffer; -1 once the connection is cut off. */
const QUEUED = Symbol('queuedBytes');
type Watched = EngineConnection & { [QUEUED]: number };

/**
 * A cap on what each connection may have queued and not yet taken by the
 * network, so that a client that reads slowly or not at all costs bounded
 * memory. Unsent bytes are the packets in Engine.IO's write buffer (waiting
 * while the transport is busy: a websocket send not yet written, a polling
 * client that has not polled) plus what the `ws` socket holds that the kernel
 * would not take. Checked on every outgoing packet, so acks, pushes and
 * broadcasts of every namespace count. Over the cap, the connection is
 * destroyed, not closed: a close frame would queue behind the unread bytes
 * and keep them for ws's 30 s close timeout.
 */
export class OutboundGuard {
  private readonly users = new WeakMap<object, string>();

  constructor(
    private readonly o: {
      maxBytes: number;
      logger: Logger;
      onCutOff?: () => void;
    },
  ) {}

  /** Watches every connection the engine accepts. */
  install(engine: { on(event: 'connection', fn: (conn: EngineConnection) => void): unknown }): void {
    engine.on('connection', (conn) => this.watch(conn));
  }

  /** Names the user of a connection, for the log line if it is cut off. */
  identify(conn: object, userId: string): void {
    this.users.set(conn, userId);
  }

  /**
   * Bytes of the packets in the engine's write buffer (a flush hands them to the transport, where
   * bufferedAmount counts them), kept on the connection; the two listeners are shared by every
   * connection (`this` is the connection): an idle connection carries no closure of its own.
   */
  private watch(conn: EngineConnection): void {
    (conn as Watched)[QUEUED] = 0;
    conn.on('flush', this.onFlush);
    conn.on('packetCreate', this.onPacket);
  }

  private readonly onFlush = function (this: Watched): void {
    if (this[QUEUED] >= 0) this[QUEUED] = 0;
  };

  private readonly onPacket = (() => {
    const guard = this;
    return function (this: Watched, packet: { data?: unknown }): void {
      if (this[QUEUED] < 0) return; // cut off already
      this[QUEUED] += sizeOf(packet.data);
      const unsent = this[QUEUED] + (this.transport.socket?.bufferedAmount ?? 0);
      if (unsent <= guard.o.maxBytes) return;
      this[QUEUED] = -1;
      guard.cutOff(this, unsent);
    };
  })();

  private cutOff(conn: EngineConnection, unsent: number): void {
    this.o.logger.warn(
      { userId: this.users.get(conn), conn: conn.id, transport: conn.transport.name, unsentBytes: unsent, maxBytes: this.o.maxBytes, reason: 'outbound buffer over SOCKET_MAX_BUFFERED_BYTES' },
      'slow reader disconnected',
    );
    this.o.onCutOff?.();
    // Destroying the TCP connection now frees what ws holds; the close event follows on a later tick.
    if (conn.transport.name === 'websocket') conn.transport.socket?.terminate?.();
    // Discarding drops the engine's write buffer (and a polling client's pending packets). Deferred: this runs
    // inside the emit that crossed the cap, and closing runs every disconnect handler, which should not nest in it.
    process.nextTick(() => conn.close(true));
  }
}

/** JS strings cost about their length in memory; `ws` encodes them to UTF-8 only when it writes them, counted then by bufferedAmount. */
function sizeOf(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data && typeof (data as ArrayBufferLike).byteLength === 'number') return (data as ArrayBufferLike).byteLength;
  return 0;
}
