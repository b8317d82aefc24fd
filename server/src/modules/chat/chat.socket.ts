import type { EventRouter, PairlySocket } from '../../realtime/event-router.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { PresenceService } from '../presence/presence.service.js';
import type { ChatService } from './chat.service.js';
import type { ChatChanges } from './chat.changes.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';

/**
 * Typing indicators: never stored, pushed volatile to the peer, at most one
 * a second per socket and conversation, and ended by the server after the
 * TTL (or when the socket goes) if the client does not renew or stop them.
 * An entry lives only while its indicator is on. Every indicator is checked
 * before it goes out (see ChatService.typingPeer): none crosses a block or
 * reaches the peer of a conversation that has ended, not even the "stopped"
 * the server sends on expiry.
 */
class Typing {
  /** socket id → conversation id → the indicator that socket has on there. */
  private readonly active = new Map<string, Map<string, { lastSentAt: number; expiry: NodeJS.Timeout; peerId: string }>>();

  constructor(
    private readonly realtime: Realtime,
    private readonly ttlMs: number,
    /** The peer an indicator may reach now; throws when it may not. */
    private readonly peerOf: (userId: string, conversationId: string) => Promise<string>,
    private readonly logger: Logger,
  ) {}

  update(socket: PairlySocket, conversationId: string, peerId: string, typing: boolean): { throttled: boolean } {
    const userId = socket.data.userId;
    const mine = this.active.get(socket.id);
    const entry = mine?.get(conversationId);
    if (entry) clearTimeout(entry.expiry);
    if (!typing) {
      this.forget(socket.id, conversationId);
      this.push(peerId, conversationId, userId, false);
      return { throttled: false };
    }
    const now = Date.now();
    const expiry = setTimeout(() => this.stop(socket.id, userId, conversationId), this.ttlMs);
    const throttled = entry !== undefined && now - entry.lastSentAt < 1000;
    const m = mine ?? new Map();
    m.set(conversationId, { lastSentAt: throttled ? entry.lastSentAt : now, expiry, peerId });
    this.active.set(socket.id, m);
    if (!throttled) this.push(peerId, conversationId, userId, true);
    return { throttled };
  }

  /**
   * The peer of an indicator this socket renewed less than a second ago: a renewal now is throttled (it
   * pushes nothing, only extends the indicator), so it needs no fresh block check; the stop re-checks.
   */
  throttledPeer(socketId: string, conversationId: string): string | undefined {
    const entry = this.active.get(socketId)?.get(conversationId);
    return entry && Date.now() - entry.lastSentAt < 1000 ? entry.peerId : undefined;
  }

  /** Drops an indicator without telling anyone (it may no longer reach its peer). */
  forget(socketId: string, conversationId: string): void {
    const mine = this.active.get(socketId);
    clearTimeout(mine?.get(conversationId)?.expiry);
    mine?.delete(conversationId);
    if (mine?.size === 0) this.active.delete(socketId);
  }

  /** Indicators on (sockets × conversations), for tests that check nothing is left behind. */
  size(): number {
    let n = 0;
    for (const m of this.active.values()) n += m.size;
    return n;
  }

  /** The socket is gone: every indicator it started ends now. */
  dropSocket(socket: PairlySocket): void {
    for (const conversationId of [...(this.active.get(socket.id)?.keys() ?? [])]) this.stop(socket.id, socket.data.userId, conversationId);
  }

  private stop(socketId: string, userId: string, conversationId: string): void {
    this.forget(socketId, conversationId);
    // Checked again: a block or the session's end since the indicator started means the peer hears nothing more.
    this.peerOf(userId, conversationId).then(
      (peerId) => this.push(peerId, conversationId, userId, false),
      (err) => {
        if (!(err instanceof AppError)) this.logger.warn({ err }, 'typing stop check failed');
      },
    );
  }

  private push(peerId: string, conversationId: string, userId: string, typing: boolean): void {
    this.realtime.toUsers([peerId], 'chat:typing', { conversationId, userId, typing, expiresInMs: typing ? this.ttlMs : 0 }, { volatile: true });
  }
}

export function chatEvents(
  router: EventRouter,
  d: {
    chat: ChatService;
    changes: ChatChanges;
    presence: PresenceService;
    realtime: Realtime;
    typingTtlMs: number;
    logger: Logger;
    /** The user wrote: their history and conversation list read the primary for a while (Database.wrote). */
    wrote: (userId: string) => void;
  },
): { disconnected(socket: PairlySocket): void; typingTracked(): number } {
  const writes =
    <P, R>(handler: (socket: PairlySocket, p: P) => Promise<R>) =>
    async (socket: PairlySocket, p: P): Promise<R> => {
      const result = await handler(socket, p);
      d.wrote(socket.data.userId);
      return result;
    };
  const typing = new Typing(d.realtime, d.typingTtlMs, (userId, conversationId) => d.chat.typingPeer(userId, conversationId), d.logger);
  // Checked on every event rather than cached per socket: blocks and session ends happen while sockets stay.
  // One socket's events run in the order sent, so a quick start-stop is not reordered by the checks.
  const pending = new WeakMap<PairlySocket, Promise<unknown>>();
  const typingEvent = (socket: PairlySocket, p: { conversationId: string; typing: boolean }) => {
    const run = (pending.get(socket) ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        const renewed = p.typing ? typing.throttledPeer(socket.id, p.conversationId) : undefined;
        if (renewed) return typing.update(socket, p.conversationId, renewed, true);
        const peerId = await d.chat.typingPeer(socket.data.userId, p.conversationId).catch((err: unknown) => {
          typing.forget(socket.id, p.conversationId);
          throw err;
        });
        return typing.update(socket, p.conversationId, peerId, p.typing);
      });
    pending.set(socket, run);
    return run;
  };

  router
    .on('chat:send', writes((socket, p) => d.chat.send({ userId: socket.data.userId, role: socket.data.role, socketId: socket.id }, p)))
    .on('chat:delivered', writes((socket, p) => d.chat.delivered(socket.data.userId, p.conversationId, p.upToSeq)))
    .on('chat:read', writes((socket, p) => d.chat.read(socket.data.userId, p.conversationId, p.upToSeq, socket.id)))
    .on('chat:typing', typingEvent)
    .on('chat:sync', (socket, p) => d.chat.sync(socket.data.userId, p, p.limit))
    .on('chat:react', writes((socket, p) => d.changes.react(socket.data.userId, p, socket.id)))
    .on('chat:edit', writes((socket, p) => d.changes.edit(socket.data.userId, p, socket.id)))
    .on('chat:delete', writes((socket, p) => d.changes.delete(socket.data.userId, p, socket.id)))
    .on('presence:set', async (socket, p) => ({ status: await d.presence.set(socket.data.userId, socket.id, p.status) }));

  return { disconnected: (socket) => typing.dropSocket(socket), typingTracked: () => typing.size() };
}
