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
  on(event: 'disconnect', listener: (this: SessionSocket) => void): unknown;
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
  socket.on('disconnect', untrackThis);
}

/** A disconnect listener shared by every socket (`this` is the socket): no closure per socket. */
function untrackThis(this: SessionSocket): void {
  const sessions = byServer.get(this.nsp.server);
  const id = this.data.sessionId;
  const sockets = sessions?.get(id);
  if (!sockets) return;
  sockets.delete(this);
  if (sockets.size === 0) sessions!.delete(id);
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
