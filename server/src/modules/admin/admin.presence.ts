import type { Namespace } from 'socket.io';
import type { AdminEventResults, AdminSnapshot, adminEventSchemas, CallCounts } from '../../../../shared/admin.js';
import { trackSession } from '../../realtime/session-sockets.js';
import type { EventRouter, PairlySocket } from '../../realtime/event-router.js';
import { socketAuth } from '../../realtime/io.js';
import { enforceSocketQuota, type SocketQuota } from '../../realtime/socket-quota.js';
import { armTokenExpiry } from '../../realtime/token-expiry.js';
import type { Counters } from '../../counters.js';
import type { Logger } from '../../logger.js';
import type { Authenticator } from '../../principal.js';
import type { PresenceService } from '../presence/presence.service.js';
import type { PresenceStore } from '../presence/presence.store.js';
import type { UsersStore } from '../users/users.store.js';

/** What admins watch: one snapshot, the same over REST and the /admin namespace. */
export class AdminPresence {
  constructor(
    private readonly d: {
      nodeId: string;
      store: PresenceStore;
      presence: PresenceService;
      counters: Counters;
      users: UsersStore;
      match: { sizes(): Promise<Record<string, number>> };
      calls: { openCounts(): Promise<CallCounts> };
    },
  ) {}

  async snapshot(): Promise<AdminSnapshot> {
    const [onlineUsers, socketsPerNode, messagesPerSecond, matchQueue, activeCalls] = await Promise.all([
      this.d.store.onlineCount(),
      this.d.store.socketsPerNode(),
      this.d.counters.lastSecond('messages'),
      this.d.match.sizes(),
      this.d.calls.openCounts(),
    ]);
    return { at: new Date().toISOString(), node: this.d.nodeId, onlineUsers, socketsPerNode, messagesPerSecond, matchQueue, activeCalls };
  }

  /** Online users whose display name or email contains q (case-insensitive). */
  async search(q: string, limit: number): Promise<{ id: string; displayName: string; role: string; status: string }[]> {
    const ids = await this.d.store.onlineUsers(5000);
    const users = await this.d.users.summaries(ids);
    const needle = q.toLowerCase();
    const hits = users.filter((u) => !needle || u.display_name.toLowerCase().includes(needle) || u.id === q).slice(0, limit);
    const statuses = await this.d.presence.statuses(hits.map((u) => u.id));
    return hits.map((u) => ({ id: u.id, displayName: u.display_name, role: u.role, status: statuses.get(u.id)?.status ?? 'offline' }));
  }
}

/**
 * The admin-only /admin namespace: a snapshot at most once a second to this
 * node's admin sockets (each node serves its own admins, so nothing is
 * duplicated across the cluster), and `admin:online` to search online users,
 * through the same event router as every other event.
 */
export function attachAdminNamespace(
  nsp: Namespace,
  d: {
    auth: Authenticator;
    admin: AdminPresence;
    router: EventRouter<typeof adminEventSchemas, AdminEventResults>;
    logger: Logger;
    /** The per-user socket cap, applied here too (after authentication): an admin session cannot open /admin sockets without end. */
    quota?: SocketQuota;
  },
): () => void {
  nsp.use(socketAuth(d.auth, 'admin'));
  const stopQuota = d.quota
    ? enforceSocketQuota(nsp as unknown as Parameters<typeof enforceSocketQuota>[0], d.quota, { logger: d.logger, keyOf: (u) => `${u}:admin` })
    : undefined;
  d.router.on('admin:online', async (_socket, p) => ({ users: await d.admin.search(p.q, p.limit) }));
  nsp.on('connection', (socket) => {
    // Revoking this session (logout, refresh-token reuse) closes its admin sockets too, on every node (realtime.endSession).
    trackSession(socket);
    // Lives as long as its access token, like every socket (admins reconnect with a fresh one).
    armTokenExpiry(socket as PairlySocket);
    d.router.attach(socket as PairlySocket);
  });
  const timer = setInterval(() => {
    if (nsp.sockets.size === 0) return;
    d.admin
      .snapshot()
      .then((s) => nsp.local.emit('admin:snapshot', s))
      .catch((err) => d.logger.warn({ err }, 'admin snapshot failed'));
  }, 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    stopQuota?.();
  };
}
