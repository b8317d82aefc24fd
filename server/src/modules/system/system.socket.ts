import { AppError } from '../../errors.js';
import type { EventRouter } from '../../realtime/event-router.js';
import { armTokenExpiry } from '../../realtime/token-expiry.js';
import type { AuthService } from '../auth/auth.service.js';

/**
 * `system:ping`: a round trip through the whole event path; answers which node served it.
 * `auth:refresh`: a fresher access token of the socket's own session moves its expiry.
 */
export function systemEvents(router: EventRouter, nodeId: string, auth: Pick<AuthService, 'authenticate'>): void {
  router.on('auth:refresh', async (socket, payload) => {
    const principal = await auth.authenticate(payload.accessToken);
    if (principal.userId !== socket.data.userId || principal.sessionId !== socket.data.sessionId) {
      throw new AppError('FORBIDDEN', "the token belongs to another session than this socket's");
    }
    if (principal.expiresAt > socket.data.tokenExpiresAt) {
      socket.data.tokenExpiresAt = principal.expiresAt;
      armTokenExpiry(socket);
    }
    return { expiresAt: new Date(socket.data.tokenExpiresAt).toISOString() };
  });
  router.on('system:ping', async (_socket, payload) => ({
    nodeId,
    serverTime: Date.now(),
    ...(payload.sentAt !== undefined ? { sentAt: payload.sentAt } : {}),
  }));
}
