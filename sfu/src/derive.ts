import { createHmac } from 'node:crypto';

/**
 * Everything about a call's room is derived from the call id with the
 * controller's key, so any node (or a worker) can create, find and destroy the
 * room without shared state, and a retried createRoom returns the same room,
 * secret and tokens.
 */
function mac(key: string, ...parts: string[]): Buffer {
  return createHmac('sha256', key).update(parts.join('\0')).digest();
}

/**
 * 48 bits: JSON-safe (below 2^53) and within Janus's 64-bit room ids. Two live
 * calls collide with probability about n²/2^49 (n = 10,000 live rooms:
 * 2 in 10 million); the controller also checks the room's description before
 * reusing a room, so a collision fails instead of joining two calls.
 */
export function roomIdFor(key: string, callId: string): number {
  return mac(key, 'room', callId).readUIntBE(0, 6) || 1;
}

/** The room's VideoRoom `secret` (needed to destroy it or edit its allowed list). */
export function roomSecretFor(key: string, roomId: number): string {
  return mac(key, 'secret', String(roomId)).toString('base64url');
}

/** One participant's token for the room's `allowed` list. */
export function participantTokenFor(key: string, roomId: number, participant: string): string {
  return mac(key, 'token', String(roomId), participant).toString('base64url');
}

/** How the controller labels its rooms in Janus (visible to operators through `list`). */
export function roomDescriptionFor(callId: string): string {
  return `pairly call ${callId}`;
}
