import type { EventRouter, PairlySocket } from '../../realtime/event-router.js';
import type { MatchService } from './match.service.js';

export function matchEvents(router: EventRouter, match: MatchService): { disconnected(socket: PairlySocket): void } {
  // Sockets that asked to join: only they can be queued, so a disconnect of any other costs no queue call.
  const joined = new WeakSet<PairlySocket>();
  router
    .on('match:join', async (socket, p) => {
      joined.add(socket);
      try {
        return await match.join(socket.data.userId, socket.id, p);
      } finally {
        // The socket went while its join was on the way (a tab closed, or the network lost, right after Start):
        // its disconnect found nothing to take out of the queue, and the join has since put it there (even a
        // join that failed late may have). Out again, or a pass pairs this ghost, and two ghosts paired together
        // sit in a session nobody ever ends: each then hears in_session at every later join (seen in
        // `npm run bench -- match`). The socket guard leaves another device's entry alone.
        if (!socket.connected) await match.leave(socket.data.userId, 'disconnect', socket.id).catch(() => undefined);
      }
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
