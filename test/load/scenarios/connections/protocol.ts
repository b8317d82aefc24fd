/**
 * Parent ⇄ holder-child messages of the connections bench (holder.ts).
 * A holder opens its share of the sockets, keeps them idle, and on `arm`
 * reconnects every socket the server drops, at once, counting what happens.
 */

/**
 * How a holder authenticates: Pairly, a token per socket minted from the
 * node's secret; the bare relay, the `{ user, peer }` handshake it expects
 * (it closes any socket without one).
 */
export type HolderAuth = { kind: 'jwt'; jwtSecret: string; ttlSeconds: number } | { kind: 'bare' };

export type ToHolder =
  | { type: 'open'; url: string; sockets: number; firstIndex: number; concurrency: number; auth: HolderAuth }
  /** From now on a socket the server disconnects reconnects immediately; counts start at zero. */
  | { type: 'arm' }
  | { type: 'close' }
  | { type: 'exit' };

export interface HolderCounts {
  /** Sockets connected right now. */
  connected: number;
  /** Connects completed since `open` (or since `arm`). */
  connects: number;
  /** connect_error events (refusals and failed attempts), by code or message. */
  errors: Record<string, number>;
  /** Disconnects seen since `arm`. */
  drops: number;
  /** Date.now() of the first drop and of the last completed connect since `arm` (0 = none). */
  firstDropAt: number;
  lastConnectAt: number;
}

export type FromHolder =
  | { type: 'progress'; counts: HolderCounts }
  | { type: 'opened'; counts: HolderCounts; ms: number }
  | { type: 'closed' }
  | { type: 'failed'; message: string };
