/*
 * Presence across nodes.
 *
 *   socket connects on node N ──► store.connect (Lua: user's sockets hash, N's socket set)
 *        │                              └─ status changed? ──► pending[user] = status
 *   every second (each node)  ──► flush: audience = engaged peers (chat's presence audience; no blocks)
 *        │                              └─ one presence:update {updates[]} per recipient, each user once
 *   every PRESENCE_HEARTBEAT_MS ──► SET alive:N EX ttl GET
 *        │                              ├─ was gone (Redis lost its data, or N stalled and was reaped)?
 *        │                              │     ──► write every live local socket back, one pipeline
 *        │                              └─ nodes whose alive key lapsed: one survivor claims each,
 *        │                                    reaps it (Lua removes its sockets; its users go offline),
 *        │                                    purges its match-queue entries, logs it once
 *   Redis client 'ready' (reconnected) ──► heartbeat now (a restarted Redis is empty: write back at once),
 *                                          and no reaping for a TTL (peers are reconnecting too)
 *
 * A node that crashes or is paused stops renewing alive:N, so its users go
 * offline within PRESENCE_TTL_SECONDS plus one heartbeat on the surviving nodes.
 */
import type { PresenceStatus, PresenceView } from '../../../../shared/chat.js';
import type { Logger } from '../../logger.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { LocalSocket, PresenceStore } from './presence.store.js';

/**
 * Who may see these users' presence, one row per (subject, recipient) pair;
 * `viewer` narrows it to one recipient. Chat defines "engaged": presence only
 * pushes to whoever it is given.
 */
export type PresenceAudience = (subjects: string[], viewer?: string) => Promise<{ subject: string; recipient: string }[]>;

export class PresenceService {
  private pending = new Map<string, PresenceStatus>();
  private timers: NodeJS.Timeout[] = [];
  /** This node's live sockets by id: what it writes back when the store lost them. */
  private local = new Map<string, LocalSocket>();
  private reapAfter = 0;
  private offReconnect?: () => void;

  constructor(
    private readonly d: {
      store: PresenceStore;
      audience: PresenceAudience;
      /** Records when a user was last online (shown as "last seen" once they are offline). */
      setLastSeen: (userId: string, at: Date) => Promise<void>;
      realtime: Realtime;
      logger: Logger;
      nodeId: string;
      ttlSeconds: number;
      /** Default: a third of the TTL. */
      heartbeatMs?: number;
      flushMs?: number;
      /** Other per-node state to clean up when a node is found dead (the match queue). */
      onNodeReaped?: (nodeId: string) => Promise<void>;
      /** After this node's entries were written back (Redis lost them): other state kept in Redis is rebuilt too. */
      onRebuilt?: () => Promise<void>;
    },
  ) {}

  async start(): Promise<void> {
    // A restart under the same node id: whatever the previous run left behind is stale.
    await this.record(await this.d.store.reap(this.d.nodeId));
    // Its heartbeat key is gone on a first beat by design: nothing to rebuild, that reap just did it.
    await this.beat({ starting: true });
    const every = (ms: number, fn: () => Promise<void>, what: string) => {
      const t = setInterval(() => void fn().catch((err) => this.d.logger.error({ err }, `presence ${what} failed`)), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.d.heartbeatMs ?? (this.d.ttlSeconds * 1000) / 3, () => this.beat(), 'heartbeat');
    every(this.d.flushMs ?? 1000, () => this.flush(), 'flush');
    this.offReconnect = this.d.store.onReconnect(() => {
      // Other nodes' heartbeats may have lapsed only because Redis was away from all of us: give them a TTL to renew.
      this.reapAfter = Date.now() + this.d.ttlSeconds * 1000;
      void this.beat().catch((err) => this.d.logger.error({ err }, 'presence heartbeat after reconnect failed'));
    });
  }

  /** Graceful stop: this node's sockets are gone, say so now rather than after the TTL. */
  async stop(): Promise<void> {
    this.offReconnect?.();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.record(await this.d.store.reap(this.d.nodeId, { seenAt: Date.now() }));
    await this.flush();
  }

  async connected(userId: string, socketId: string): Promise<void> {
    this.local.set(socketId, { userId, socketId, state: 'online' });
    const c = await this.d.store.connect(userId, socketId, 'online');
    if (c.before !== c.after) this.pending.set(userId, c.after);
  }

  async disconnected(userId: string, socketId: string): Promise<void> {
    this.local.delete(socketId);
    const c = await this.d.store.disconnect(userId, socketId);
    if (c.before !== c.after) {
      this.pending.set(userId, c.after);
      if (c.after === 'offline') await this.d.setLastSeen(userId, new Date());
    }
  }

  async set(userId: string, socketId: string, state: 'online' | 'away'): Promise<PresenceStatus> {
    const mine = this.local.get(socketId);
    if (mine) mine.state = state;
    const c = await this.d.store.setState(userId, socketId, state);
    if (c.before !== c.after) this.pending.set(userId, c.after);
    return c.after;
  }

  /** What one viewer may see: the statuses of those of `userIds` it is engaged with (the audience rule of the pushes). */
  async visibleTo(viewerId: string, userIds: string[]): Promise<Map<string, PresenceView>> {
    if (userIds.length === 0) return new Map();
    const audience = await this.d.audience([...new Set(userIds)], viewerId);
    return this.statuses(audience.map((a) => a.subject));
  }

  async statuses(userIds: string[]): Promise<Map<string, PresenceView>> {
    const raw = await this.d.store.statuses(userIds);
    return new Map(
      [...raw].map(([userId, s]) => [userId, { userId, status: s.status, lastSeen: s.lastSeen ? new Date(s.lastSeen).toISOString() : null }]),
    );
  }

  private async beat({ starting = false } = {}): Promise<void> {
    const { dead, lost } = await this.d.store.heartbeat(this.d.ttlSeconds);
    if (lost && !starting) await this.rebuild('heartbeat_lost');
    if (Date.now() < this.reapAfter) return;
    for (const node of dead) {
      // Every survivor sees the lapse; one reaps and reports it, even for a node that had no sockets.
      if (!(await this.d.store.claimReap(node, this.d.ttlSeconds))) continue;
      const changed = await this.d.store.reap(node);
      // `deadNode`, not `node`: every line already carries this node's id as `node`.
      this.d.logger.warn({ deadNode: node, users: changed.length }, 'reaped the sockets of a node that stopped');
      await this.record(changed);
      await this.d.onNodeReaped?.(node);
    }
  }

  private async record(changes: { userId: string; status: PresenceStatus; lastSeen?: number }[]): Promise<void> {
    for (const c of changes) {
      this.pending.set(c.userId, c.status);
      if (c.status === 'offline') await this.d.setLastSeen(c.userId, new Date(c.lastSeen ?? Date.now()));
    }
  }

  /** One push per recipient per flush, however many of their peers changed. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const subjects = [...batch.keys()];
    const views = await this.statuses(subjects);
    // Keyed by subject: a recipient hears of each user once per batch, in the state read at flush time.
    const byRecipient = new Map<string, Map<string, PresenceView>>();
    for (const { subject, recipient } of await this.d.audience(subjects)) {
      const view = views.get(subject);
      if (!view) continue;
      const forRecipient = byRecipient.get(recipient) ?? new Map<string, PresenceView>();
      forRecipient.set(subject, view);
      byRecipient.set(recipient, forRecipient);
    }
    for (const [recipient, updates] of byRecipient) this.d.realtime.toUsers([recipient], 'presence:update', { updates: [...updates.values()] });
  }

  /**
   * Makes this node's entries in the store the sockets it really has: after
   * Redis was unreachable (presence writes were skipped, so disconnects may
   * be missing) or lost its data (restart, FLUSHALL, or this node stalled and
   * was reaped). Its old entries are reaped, every live local socket is
   * written back in one pipeline, and peers hear of the result with the next
   * flush. Idempotent, so a heartbeat and a reconnect doing it at once do no
   * harm; a socket that disconnects while the writes are in flight is
   * removed again.
   */
  async rebuild(reason: 'reconnected' | 'heartbeat_lost'): Promise<void> {
    const removed = await this.d.store.reap(this.d.nodeId, { stillRunning: true });
    const sockets = [...this.local.values()].map((s) => ({ ...s }));
    const changes = sockets.length ? await this.d.store.reregister(sockets) : [];
    for (const s of sockets) if (!this.local.has(s.socketId)) await this.d.store.disconnect(s.userId, s.socketId);
    const present = new Set(sockets.map((s) => s.userId));
    await this.record(removed.filter((r) => !present.has(r.userId)));
    // The reap took every user of this node offline for a moment; each one written back is news to peers again.
    changes.forEach((c, i) => this.pending.set(sockets[i]!.userId, c.after));
    this.d.logger.warn({ reason, sockets: sockets.length, users: present.size, removed: removed.length }, "presence: this node's entries were rebuilt; its live sockets are written back");
    await this.d.onRebuilt?.();
  }
}
