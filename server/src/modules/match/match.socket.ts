import type { EventRouter, PairlySocket } from '../../realtime/event-router.js';
import type { MatchService } from './match.service.js';

export function matchEvents(router: EventRouter, match: MatchService): { disconnected(socket: PairlySocket): void } {
  // Sockets that asked to join: only they can be queued, so a disconnect of any other costs no queue call.
  const joined = new WeakSet<PairlySocket>();
  router
    .on('match:join', (socket, p) => {
      joined.add(socket);
      return match.join(socket.data.userId, socket.id, p);
    })
    .on('match:next', (socket) => match.next(socket.data.userId))
    .on('match:leave', (socket) => match.leave(socket.data.userId))
    .on('match:snapshot', (socket, p) => match.snapshot(socket.data.userId, p));
  return {
    // Only the socket that joined leaves the queue (another device of the same user does not).
    disconnected: (socket) => {
      if (joined.has(socket)) void match.leave(socket.data.userId, 'disconnect', socket.id).catch(() => undefined);
    },
  };
}
