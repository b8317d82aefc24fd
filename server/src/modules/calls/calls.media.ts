import type { Logger } from '../../logger.js';
import type { RoomSessions } from '../rooms/rooms.sweep.js';
import type { CallsMetering } from './calls.metering.js';
import type { CallsService } from './calls.service.js';
import type { CallsStore } from './calls.store.js';

/**
 * Calls' side of the media sweep: active calls are the open rooms; a room
 * seen moves the call's media_ok_at on, one lost ends the call as a
 * media_failure at the last moment it was seen, so billing stops where the
 * media could have. Each sweep also ends calls stuck before active and
 * enqueues again minute ticks whose job was lost.
 */
export function callRoomSessions(d: {
  store: Pick<CallsStore, 'activeOnSfu' | 'mediaSeen'>;
  calls: Pick<CallsService, 'endStuck' | 'endCall'>;
  metering: Pick<CallsMetering, 'rescueTicks'>;
  logger: Logger;
}): RoomSessions {
  return {
    beforeCheck: (now) => d.calls.endStuck(now),
    async openRooms() {
      const calls = await d.store.activeOnSfu();
      return {
        rooms: calls.map((c) => ({ owner: c.id, instance: c.sfu_instance!, roomId: Number(c.sfu_room), lastSeen: c.media_ok_at ?? c.answered_at! })),
        async checked({ at, seen, lost }) {
          await d.store.mediaSeen(seen, at);
          await d.metering.rescueTicks(calls, at);
          for (const l of lost) {
            d.logger.warn({ callId: l.owner, instance: l.instance, lastSeen: l.lastSeen }, `call media lost (${l.why}): ending the call`);
            await d.calls.endCall(l.owner, 'media_failure', null, l.lastSeen);
          }
        },
      };
    },
  };
}
