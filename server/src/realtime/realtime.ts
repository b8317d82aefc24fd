import type { ServerToClientEvents } from '../../../shared/events.js';
import type { StandingChange } from '../../../shared/reports.js';

export interface PushOptions {
  /** Leave out this socket (the device that caused the push already has the result in its ack). */
  exceptSocketId?: string;
  /** May be dropped when a client's buffer is full (typing indicators). */
  volatile?: boolean;
}

/**
 * What services may do to connected clients, without knowing Socket.IO.
 * Every push goes to users' rooms (all their devices, on every node).
 */
export interface Realtime {
  toUser<E extends keyof ServerToClientEvents>(
    userId: string,
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ): void;
  toUsers<E extends keyof ServerToClientEvents>(
    userIds: string[],
    event: E,
    payload: Parameters<ServerToClientEvents[E]>[0],
    opts?: PushOptions,
  ): void;
  /**
   * Tells a session's sockets why, then disconnects them, on every node. `standing`: the suspension or ban
   * that ends it, carried in the same message (a push sent just before may arrive after the close).
   */
  endSession(sessionId: string, reason: 'logout' | 'token_reused' | 'admin', standing?: StandingChange): void;
  /**
   * Whether the user has a socket on this node (in their room here): connected, so not offline, without
   * asking presence. False where no sockets live (the workers process) or none of theirs is here.
   */
  connectedHere?(userId: string): boolean;
}
