import type { EventRouter, PairlySocket } from '../../realtime/event-router.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { PresenceService } from '../presence/presence.service.js';
import type { ChatService } from './chat.service.js';
import { AppError } from '../../errors.js';

/**
 * Typing indicators: never stored, pushed volatile to the peer, at most one
 * a second per socket and conversation, and ended by the server after the
 * TTL (or when the socket goes) if the client does not renew or stop them.
 */
class Typing {
  private readonly lastSent = new Map<string, number>();
  private readonly expiry = new Map<string, NodeJS.Timeout>();
  private readonly peers = new Map<string, string>();

  constructor(
    private readonly realtime: Realtime,
    private readonly ttlMs: number,
  ) {}

  update(socket: PairlySocket, conversationId: string, peerId: string, typing: boolean): { throttled: boolean } {
    const key = `${socket.id}:${conversationId}`;
    this.peers.set(key, peerId);
    clearTimeout(this.expiry.get(key));
    this.expiry.delete(key);
    const now = Date.now();
    if (typing) {
      this.expiry.set(key, setTimeout(() => this.stop(key, socket.data.userId), this.ttlMs));
      if (now - (this.lastSent.get(key) ?? 0) < 1000) return { throttled: true };
      this.lastSent.set(key, now);
    } else {
      this.lastSent.delete(key);
    }
    this.push(peerId, conversationId, socket.data.userId, typing);
    return { throttled: false };
  }

  /** The socket is gone: every indicator it started ends now. */
  dropSocket(socket: PairlySocket): void {
    for (const key of [...this.expiry.keys()]) if (key.startsWith(`${socket.id}:`)) this.stop(key, socket.data.userId);
  }

  private stop(key: string, userId: string): void {
    clearTimeout(this.expiry.get(key));
    this.expiry.delete(key);
    this.lastSent.delete(key);
    const peerId = this.peers.get(key);
    this.peers.delete(key);
    if (peerId) this.push(peerId, key.slice(key.indexOf(':') + 1), userId, false);
  }

  private push(peerId: string, conversationId: string, userId: string, typing: boolean): void {
    this.realtime.toUsers([peerId], 'chat:typing', { conversationId, userId, typing, expiresInMs: typing ? this.ttlMs : 0 }, { volatile: true });
  }
}

export function chatEvents(
  router: EventRouter,
  d: { chat: ChatService; presence: PresenceService; realtime: Realtime; typingTtlMs: number },
): { disconnected(socket: PairlySocket): void } {
  const typing = new Typing(d.realtime, d.typingTtlMs);
  // Membership checks for typing are cached per socket: typing is frequent, membership does not change.
  const members = new WeakMap<PairlySocket, Map<string, string>>();
  const peerOf = async (socket: PairlySocket, conversationId: string) => {
    const cache = members.get(socket) ?? new Map<string, string>();
    members.set(socket, cache);
    let peer = cache.get(conversationId);
    if (!peer) {
      peer = await d.chat.isMember(socket.data.userId, conversationId);
      if (!peer) throw new AppError('NOT_FOUND', 'no such conversation');
      cache.set(conversationId, peer);
    }
    return peer;
  };

  router
    .on('chat:send', (socket, p) => d.chat.send({ userId: socket.data.userId, role: socket.data.role, socketId: socket.id }, p))
    .on('chat:delivered', (socket, p) => d.chat.delivered(socket.data.userId, p.conversationId, p.upToSeq))
    .on('chat:read', (socket, p) => d.chat.read(socket.data.userId, p.conversationId, p.upToSeq, socket.id))
    .on('chat:typing', async (socket, p) => typing.update(socket, p.conversationId, await peerOf(socket, p.conversationId), p.typing))
    .on('chat:sync', (socket, p) => d.chat.sync(socket.data.userId, p, p.limit))
    .on('presence:set', async (socket, p) => ({ status: await d.presence.set(socket.data.userId, socket.id, p.status) }));

  return { disconnected: (socket) => typing.dropSocket(socket) };
}
