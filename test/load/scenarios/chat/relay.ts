import { randomUUID } from 'node:crypto';
import type { Server } from 'socket.io';

/**
 * The chat baseline: a plain socket.io relay with no auth, no validation, no
 * rate limits, no storage, no receipts kept and no charging. A client names
 * itself and its one peer in the handshake (`auth: { user, peer }`) and
 * joins `user:<user>`; `chat:send` is pushed to the peer's room as a
 * MessageView-shaped `chat:message` and acked like Pairly acks it;
 * `chat:delivered` is relayed to the peer the same way. With a Redis adapter
 * on the Server, the same handlers relay between nodes.
 */

export interface BareHandshake {
  user: string;
  peer: string;
}

const room = (user: string) => `user:${user}`;

type Ack = (response: unknown) => void;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export function installChatRelay(io: Server): void {
  io.on('connection', (socket) => {
    const auth: unknown = socket.handshake.auth;
    const user = isObject(auth) && typeof auth.user === 'string' ? auth.user : undefined;
    const peer = isObject(auth) && typeof auth.peer === 'string' ? auth.peer : undefined;
    if (!user || !peer) {
      socket.disconnect(true);
      return;
    }
    void socket.join(room(user));
    // Pairly numbers messages per conversation; one counter per sender is enough here.
    let seq = 0;

    socket.on('chat:send', (p: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      if (!isObject(p)) return (ack as Ack)({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'payload must be an object' } });
      const message = {
        id: randomUUID(),
        conversationId: p.conversationId,
        seq: ++seq,
        senderId: user,
        clientId: p.clientId,
        body: p.body,
        price: 0,
        createdAt: new Date().toISOString(),
      };
      io.to(room(peer)).emit('chat:message', message);
      (ack as Ack)({ ok: true, message, replayed: false });
    });

    socket.on('chat:delivered', (p: unknown, ack: unknown) => {
      const upToSeq = isObject(p) && typeof p.upToSeq === 'number' ? p.upToSeq : 0;
      io.to(room(peer)).emit('chat:delivered', { conversationId: isObject(p) ? p.conversationId : undefined, userId: user, upToSeq });
      if (typeof ack === 'function') (ack as Ack)({ ok: true, upToSeq });
    });
  });
}
