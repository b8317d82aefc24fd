import type { Server as HttpServer } from 'node:http';
import { Server, type ServerOptions } from 'socket.io';
import {
  rooms,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerToClientEvents,
  type SocketData,
} from '../../../shared/events.js';
import type { Config } from '../config.js';
import { AppError, toAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Authenticator } from '../principal.js';
import type { EventRouter, PairlySocket } from './event-router.js';
import type { OutboundGuard } from './outbound-guard.js';
import type { Realtime } from './realtime.js';
import { enforceSocketQuota, type SocketQuota } from './socket-quota.js';
import { armTokenExpiry } from './token-expiry.js';
import { endLocalSession, trackSession } from './session-sockets.js';

export type PairlyServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** What a module wants to hear of this node's sockets (presence, typing, the match queue). */
export interface SocketLifecycle {
  connected?(socket: PairlySocket): void;
  disconnected?(socket: PairlySocket): void;
}

/**
 * Socket.IO on the HTTP server. In a cluster, the sharded adapter (Redis 7
 * SPUBLISH/SSUBSCRIBE, built by drivers.ts) joins the nodes.
 * The handshake authenticates `auth.token`; each socket joins its user's room
 * and is listed under its session on this node (session-sockets.ts).
 */
export function createIo(opts: {
  httpServer: HttpServer;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  auth: Authenticator;
  router: EventRouter;
  /** The cluster's adapter (drivers.ts); the in-memory default without one. */
  adapter?: ServerOptions['adapter'];
  /** Caps each connection's unsent bytes. */
  outbound?: OutboundGuard;
  /** Caps each user's open sockets over all nodes. */
  quota?: SocketQuota;
  /** Told of every connection and disconnection on this node (presence, typing). */
  lifecycle?: SocketLifecycle[];
}): PairlyServer {
  const { config, logger, metrics } = opts;
  const io: PairlyServer = new Server(opts.httpServer, {
    path: '/socket.io',
    maxHttpBufferSize: config.socketMaxPayload,
    cors: { origin: config.corsOrigins, credentials: true },
    // A paused, partitioned or dead node is noticed by its clients once no ping came for interval + timeout
    // (15 s by default, was 40 s): they stop sending into a dead socket and reconnect to a healthy node,
    // where chat:sync brings what they missed. The server side drops a silent client as fast.
    pingInterval: config.socketPing.intervalMs,
    pingTimeout: config.socketPing.timeoutMs,
    connectTimeout: 10_000,
    adapter: opts.adapter,
  });

  io.use(socketAuth(opts.auth));
  // Another node revoked a session (realtimeOf's endSession): close this node's sockets of it.
  io.on('session:end', (sessionId, reason, standing) => endLocalSession(io, sessionId, reason, standing));
  // Another node lost Redis for a while: what it pushed meanwhile never came here (tellResync).
  io.on('node:resync', (nodeId) => io.local.emit('system:resync', { nodeId }));
  if (opts.quota) {
    const stop = enforceSocketQuota(io.of('/'), opts.quota, { logger });
    opts.httpServer.once('close', stop);
  }
  opts.outbound?.install(io.engine);

  // Listeners shared by every socket (`this` is the socket): an idle socket carries no closure of its own.
  const lifecycle = opts.lifecycle ?? [];
  function disconnected(this: PairlySocket): void {
    metrics.connectedSockets.dec();
    for (const l of lifecycle) l.disconnected?.(this);
  }
  function failed(this: PairlySocket, err: Error): void {
    logger.debug({ err, socket: this.id }, 'socket error');
  }
  io.on('connection', (socket: PairlySocket) => {
    slimIdleSocket(socket);
    opts.outbound?.identify(socket.conn, socket.data.userId);
    metrics.connectedSockets.inc();
    metrics.served.count++; // a connection is traffic too: the idle collector waits out a reconnect storm's tail
    void socket.join(rooms.user(socket.data.userId));
    trackSession(socket);
    armTokenExpiry(socket);
    opts.router.attach(socket);
    for (const l of lifecycle) l.connected?.(socket);
    socket.on('disconnect', disconnected);
    socket.on('error', failed);
  });

  io.engine.on('connection_error', (err: { code: number; message: string }) => {
    logger.debug({ code: err.code, message: err.message }, 'engine connection error');
  });
  return io;
}

/**
 * What an idle socket keeps that nothing reads after the handshake
 * (BENCHMARKS.md, "Connections and memory"): engine.io holds the upgrade's
 * IncomingMessage (its raw headers, stream state and parser leftovers) for
 * the connection's life, and the handshake keeps the access token (a few
 * hundred bytes) that the middleware has already verified. socket.io reads
 * `conn.request` only to build the handshake of a namespace joined later on
 * the same connection (`/admin`), which then gets no headers: Pairly reads
 * neither the headers nor the token there (auth comes from the CONNECT
 * packet's own `auth`).
 */
function slimIdleSocket(socket: PairlySocket): void {
  (socket.conn as unknown as { request: unknown }).request = null;
  socket.handshake.auth = {};
}

/**
 * Handshake middleware for every namespace: `auth.token` must be a valid,
 * unrevoked access token (and, with `role`, a user of that role); the socket
 * carries who it is and when its token expires. Refusals are `connect_error`
 * with `data.code`.
 */
export function socketAuth(auth: Authenticator, role?: SocketData['role']) {
  return async (socket: { handshake: { auth?: Record<string, unknown> }; data: Partial<SocketData> }, next: (err?: Error) => void) => {
    try {
      const p = await auth.authenticate(socket.handshake.auth?.token);
      if (role && p.role !== role) throw new AppError('FORBIDDEN', `${role}s only`);
      // The admin namespace, as admin routes: only from a session that proved a second factor.
      if (role === 'admin') await auth.requireSecondFactor(p);
      socket.data = { userId: p.userId, sessionId: p.sessionId, role: p.role, tokenExpiresAt: p.expiresAt };
      next();
    } catch (err) {
      const e = toAppError(err);
      next(Object.assign(new Error(e.message), { data: { code: e.code, retryAfterSeconds: e.extra.retryAfterSeconds } }));
    }
  };
}


/**
 * Takes a getter because services are built before the server they push through. `clustered`: the
 * adapter reaches other nodes (serverSideEmit works).
 */
export function realtimeOf(getIo: () => PairlyServer, opts: { clustered?: boolean } = {}): Realtime {
  return {
    toUser(userId, event, ...args) {
      getIo()
        .to(rooms.user(userId))
        .emit(event, ...args);
    },
    toUsers(userIds, event, payload, opts = {}) {
      if (userIds.length === 0) return;
      let op = getIo().to(userIds.map(rooms.user));
      if (opts.exceptSocketId) op = op.except(opts.exceptSocketId);
      if (opts.volatile) op = op.volatile;
      // The event map's tuple typing cannot follow a generic event name through emit(); the payload was checked above.
      (op.emit as (ev: string, ...a: unknown[]) => boolean)(event, payload);
    },
    endSession(sessionId, reason, standing) {
      const io = getIo();
      endLocalSession(io, sessionId, reason, standing);
      // The other nodes hear it on the adapter's main channel, which each subscribes to at start (not a
      // room's channel, which a node subscribes to when a socket joins: a socket that connected a moment
      // ago could miss it, as seen on a Redis Cluster). A revoked session keeps no socket anywhere.
      if (opts.clustered) io.serverSideEmit('session:end', sessionId, reason, standing);
    },
    connectedHere(userId) {
      // The workers' emitter has no namespace of sockets: nothing is connected there.
      const room = (getIo() as Partial<PairlyServer>).sockets?.adapter.rooms.get(rooms.user(userId));
      return room !== undefined && room.size > 0;
    },
  };
}

/**
 * Pub/sub keeps nothing: pushes published while a node had lost Redis (a restart or failover) reached
 * nobody, whether this node published them (its publisher was away) or other nodes did (its subscriber
 * was). Once this node has Redis back and has subscribed again, its own sockets and every other node's
 * are told to catch up from the database (`system:resync`); clients spread their catch-up over a few seconds.
 */
export function tellResync(io: PairlyServer, nodeId: string): void {
  io.local.emit('system:resync', { nodeId });
  io.serverSideEmit('node:resync', nodeId);
}
