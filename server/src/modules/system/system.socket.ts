import type { EventRouter } from '../../realtime/event-router.js';

/** `system:ping`: a round trip through the whole event path; answers which node served it. */
export function systemEvents(router: EventRouter, nodeId: string): void {
  router.on('system:ping', async (_socket, payload) => ({
    nodeId,
    serverTime: Date.now(),
    ...(payload.sentAt !== undefined ? { sentAt: payload.sentAt } : {}),
  }));
}
