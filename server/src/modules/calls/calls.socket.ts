import type { EventRouter } from '../../realtime/event-router.js';
import type { CallsService } from './calls.service.js';

export function callsEvents(router: EventRouter, calls: CallsService): void {
  router
    .on('call:invite', (socket, p) => calls.invite(socket.data.userId, p.toUserId, p.video, p.expectedPrice))
    .on('call:accept', (socket, p) => calls.accept(socket.data.userId, p.callId, socket.id))
    .on('call:decline', (socket, p) => calls.decline(socket.data.userId, p.callId))
    .on('call:cancel', (socket, p) => calls.cancel(socket.data.userId, p.callId))
    .on('call:hangup', (socket, p) => calls.hangup(socket.data.userId, p.callId))
    .on('call:takeover', (socket, p) => calls.takeover(socket.data.userId, p.callId, socket.id));
}
