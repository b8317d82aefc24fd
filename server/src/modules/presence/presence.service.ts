/*
 * Presence across nodes.
 *
 *   socket connects on node N ──► store.connect (Lua: user's sockets hash, N's socket set)
 *        │                              └─ status changed? ──► pending[user] = status
 *   every second (each node)  ──► flush: audience = engaged peers (ChatStore.presenceAudience; no blocks)
 *        │                              └─ one presence:update {updates[]} per recipient, each user once
 *   every HEARTBEAT/3 s       ──► SET alive:N EX ttl; nodes whose alive key lapsed are reaped
 *                                  (Lua removes their sockets; their users go offline)
 *
 * A node that crashes stops renewing alive:N, so its users go offline within
 * about PRESENCE_TTL_SECONDS on the surviving nodes.
 */
import type { PresenceStatus, PresenceView } from '../../../../shared/chat.js';
import type { Logger } from '../../logger.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { ChatStore } from '../chat/chat.store.js';
import type { PresenceStore } from './presence.store.js';

export class PresenceService {
  private pending = new Map<string, PresenceStatus>();
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly d: {
      store: PresenceStore;
      chat: ChatStore;
      realtime: Realtime;
      logger: Logger;
      nodeId: string;
      ttlSeconds: number;
      flushMs?: number;
      /** Other per-node state to clean up when a node is found dead (the match queue). */
      onNodeReaped?: (nodeId: string) => Promise<void>;
    },
  ) {}

  async start(): Promise<void> {
    // A restart under the same node id: whatever the previous run left behind is stale.
    await this.record(await this.d.store.reap(this.d.nodeId));
    await this.beat();
    const every = (ms: number, fn: () => Promise<void>, what: string) => {
      const t = setInterval(() => void fn().catch((err) => this.d.logger.error({ err }, `presence ${what} failed`)), ms);
      t.unref();
      this.timers.push(t);
    };
    every(Math.max(500, (this.d.ttlSeconds * 1000) / 3), () => this.beat(), 'heartbeat');
    every(this.d.flushMs ?? 1000, () => this.flush(), 'flush');
  }

  /** Graceful stop: this node's sockets are gone, say so now rather than after the TTL. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.record(await this.d.store.reap(this.d.nodeId, Date.now()));
    await this.flush();
  }

  async connected(userId: string, socketId: string): Promise<void> {
    const c = await this.d.store.connect(userId, socketId, 'online');
    if (c.before !== c.after) this.pending.set(userId, c.after);
  }

  async disconnected(userId: string, socketId: string): Promise<void> {
    const c = await this.d.store.disconnect(userId, socketId);
    if (c.before !== c.after) {
      this.pending.set(userId, c.after);
      if (c.after === 'offline') await this.d.chat.setLastSeen(userId, new Date());
    }
  }

  async set(userId: string, socketId: string, state: 'online' | 'away'): Promise<PresenceStatus> {
    const c = await this.d.store.setState(userId, socketId, state);
    if (c.before !== c.after) this.pending.set(userId, c.after);
    return c.after;
  }

  /** What one viewer may see: the statuses of those of `userIds` it is engaged with (the audience rule of the pushes). */
  async visibleTo(viewerId: string, userIds: string[]): Promise<Map<string, PresenceView>> {
    if (userIds.length === 0) return new Map();
    const audience = await this.d.chat.presenceAudience([...new Set(userIds)], viewerId);
    return this.statuses(audience.map((a) => a.subject));
  }

  /**
   * After Redis was unreachable (presence writes were skipped) or came back
   * empty: this node's entries become the sockets it really has. Statuses go
   * out with the next flush, so peers see no offline blip in between.
   */
  async resync(localSockets: () => { userId: string; socketId: string }[]): Promise<void> {
    const removed = await this.d.store.reap(this.d.nodeId);
    const sockets = localSockets();
    await Promise.all(sockets.map((s) => this.d.store.connect(s.userId, s.socketId, 'online')));
    const present = new Set(sockets.map((s) => s.userId));
    await this.record(removed.filter((r) => !present.has(r.userId)));
    for (const userId of present) this.pending.set(userId, 'online');
  }

  async statuses(userIds: string[]): Promise<Map<string, PresenceView>> {
    const raw = await this.d.store.statuses(userIds);
    return new Map(
      [...raw].map(([userId, s]) => [userId, { userId, status: s.status, lastSeen: s.lastSeen ? new Date(s.lastSeen).toISOString() : null }]),
    );
  }

  private async beat(): Promise<void> {
    const dead = await this.d.store.heartbeat(this.d.ttlSeconds);
    for (const node of dead) {
      const changed = await this.d.store.reap(node);
      // `deadNode`, not `node`: every line already carries this node's id as `node`.
      if (changed.length) this.d.logger.warn({ deadNode: node, users: changed.length }, 'reaped the sockets of a node that stopped');
      await this.record(changed);
      await this.d.onNodeReaped?.(node);
    }
  }

  private async record(changes: { userId: string; status: PresenceStatus; lastSeen?: number }[]): Promise<void> {
    for (const c of changes) {
      this.pending.set(c.userId, c.status);
      if (c.status === 'offline') await this.d.chat.setLastSeen(c.userId, new Date(c.lastSeen ?? Date.now()));
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
    for (const { subject, recipient } of await this.d.chat.presenceAudience(subjects)) {
      const view = views.get(subject);
      if (!view) continue;
      const forRecipient = byRecipient.get(recipient) ?? new Map<string, PresenceView>();
      forRecipient.set(subject, view);
      byRecipient.set(recipient, forRecipient);
    }
    for (const [recipient, updates] of byRecipient) this.d.realtime.toUsers([recipient], 'presence:update', { updates: [...updates.values()] });
  }
}
