import type { PairlySocket } from './event-router.js';

/**
 * A socket is authenticated by the access token of its handshake, and lives
 * only as long as that token: at its expiry the socket is told
 * (`auth:expired`) and closed, unless the client sent a fresher token of the
 * same session with `auth:refresh` before. Clients that build their
 * handshake `auth` from a callback reconnect with a fresh token by
 * themselves.
 *
 * One timer for the whole process, not one per socket: sockets wait in
 * buckets of a quarter second (the one their token ends in), and the timer wakes
 * for the earliest bucket. A socket is closed within 250 ms after its
 * token's expiry. Per idle socket this is a set entry where a timer, its
 * closure and a disconnect listener's were (BENCHMARKS.md, "Connections and
 * memory").
 */
type Expiring = Pick<PairlySocket, 'data' | 'emit' | 'disconnect' | 'on' | 'connected'>;

const BUCKET_MS = 250;
const buckets = new Map<number, Set<Expiring>>();
/** The bucket each armed socket waits in. */
const armed = new WeakMap<Expiring, number>();
let timer: NodeJS.Timeout | undefined;
let timerAt = Infinity;

export function armTokenExpiry(socket: Expiring): void {
  const previous = armed.get(socket);
  if (previous === undefined) socket.on('disconnect', disarmThis);
  else leave(socket, previous);
  const at = Math.ceil(socket.data.tokenExpiresAt / BUCKET_MS) * BUCKET_MS;
  let bucket = buckets.get(at);
  if (!bucket) buckets.set(at, (bucket = new Set()));
  bucket.add(socket);
  armed.set(socket, at);
  if (at < timerAt) wakeAt(at);
}

/** Sockets waiting for their token's expiry, in this process. */
export function tokenExpiryArmed(): number {
  let n = 0;
  for (const b of buckets.values()) n += b.size;
  return n;
}

/** A disconnect listener shared by every socket (`this` is the socket). */
function disarmThis(this: Expiring): void {
  const at = armed.get(this);
  if (at !== undefined) leave(this, at);
  armed.delete(this);
}

function leave(socket: Expiring, at: number): void {
  const bucket = buckets.get(at);
  if (!bucket) return;
  bucket.delete(socket);
  if (bucket.size === 0) buckets.delete(at);
}

function wakeAt(at: number): void {
  clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(expire, Math.min(2 ** 31 - 1, Math.max(0, at - Date.now())));
  timer.unref();
}

function expire(): void {
  timer = undefined;
  timerAt = Infinity;
  const now = Date.now();
  let next = Infinity;
  for (const [at, bucket] of buckets) {
    if (at > now) {
      next = Math.min(next, at);
      continue;
    }
    buckets.delete(at);
    for (const socket of bucket) {
      armed.delete(socket);
      // A fresher token moves a socket out of its bucket (armTokenExpiry): what is here has expired.
      if (!socket.connected) continue;
      socket.emit('auth:expired', { expiredAt: new Date(socket.data.tokenExpiresAt).toISOString() });
      socket.disconnect(true);
    }
  }
  if (next < Infinity) wakeAt(next);
}
