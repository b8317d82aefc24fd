import type { PairlySocket } from './event-router.js';

/**
 * A socket is authenticated by the access token of its handshake, and lives
 * only as long as that token: at its expiry the socket is told
 * (`auth:expired`) and closed, unless the client sent a fresher token of the
 * same session with `auth:refresh` before. Clients that build their
 * handshake `auth` from a callback reconnect with a fresh token by
 * themselves. One timer per socket, unref'd, cleared on disconnect.
 */
const timers = new WeakMap<object, NodeJS.Timeout>();

export function armTokenExpiry(socket: Pick<PairlySocket, 'data' | 'emit' | 'disconnect' | 'once' | 'connected'>): void {
  const previous = timers.get(socket);
  if (previous) clearTimeout(previous);
  else socket.once('disconnect', () => clearTimeout(timers.get(socket)));
  const expiresAt = socket.data.tokenExpiresAt;
  const timer = setTimeout(
    () => {
      if (!socket.connected) return;
      socket.emit('auth:expired', { expiredAt: new Date(expiresAt).toISOString() });
      socket.disconnect(true);
    },
    Math.min(2 ** 31 - 1, Math.max(0, expiresAt - Date.now())),
  );
  timer.unref();
  timers.set(socket, timer);
}
