import type { StandingChange } from '../../../shared/reports.js';

/**
 * This node's sockets by session, in every namespace (the main one and /admin): what a revoked
 * session's end closes. Not a Socket.IO room: in a cluster each room a socket joins is a sharded
 * Redis subscription of its own (SSUBSCRIBE at the join, SUNSUBSCRIBE at the leave), and a session
 * room, one per connection, cost two Redis calls per connect and disconnect for a look-up that
 * never leaves the node (other nodes hear `session:end` on the adapter's main channel).
 */
interface SessionSocket {
  data: { sessionId: string };
  nsp: { server: object };
  emit(event: 'auth:revoked', payload: { reason: 'logout' | 'token_reused' | 'admin'; standing?: StandingChange }): unknown;
  disconnect(close: boolean): unknown;
  once(event: 'disconnect', listener: () => void): unknown;
}

const byServer = new WeakMap<object, Map<string, Set<SessionSocket>>>();

/** Adds a socket under its session until it disconnects. */
export function trackSession(socket: SessionSocket): void {
  const server = socket.nsp.server;
  let sessions = byServer.get(server);
  if (!sessions) byServer.set(server, (sessions = new Map()));
  const id = socket.data.sessionId;
  let sockets = sessions.get(id);
  if (!sockets) sessions.set(id, (sockets = new Set()));
  sockets.add(socket);
  const list = sockets;
  const all = sessions;
  socket.once('disconnect', () => {
    list.delete(socket);
    if (list.size === 0 && all.get(id) === list) all.delete(id);
  });
}

/** Tells and closes this node's sockets of a session (of this server), in every namespace. */
export function endLocalSession(server: object, sessionId: string, reason: 'logout' | 'token_reused' | 'admin', standing?: StandingChange): void {
  const sockets = byServer.get(server)?.get(sessionId);
  if (!sockets) return;
  for (const socket of [...sockets]) {
    socket.emit('auth:revoked', standing ? { reason, standing } : { reason });
    socket.disconnect(true);
  }
}
