import { z } from 'zod';
import type { CallMedia } from './calls.js';
import type { MediaView } from './media.js';
import type { Prices } from './prices.js';
import { text } from './input.js';
import { GENDERS } from './profiles.js';

export const MATCH_MODES = ['text', 'video'] as const;
export type MatchMode = (typeof MATCH_MODES)[number];

export const matchJoin = z.strictObject({
  mode: z.enum(MATCH_MODES),
  interests: z.array(text().trim().toLowerCase().regex(/^[\p{L}\p{N} _-]{1,30}$/u)).max(10).optional(),
});
export const matchNext = z.strictObject({});
export const matchLeave = z.strictObject({});
export const matchReportBody = z.strictObject({ reason: text().trim().min(1).max(1000) });

/**
 * The stranger, with what this user would pay them outside the session (a
 * direct message, a call minute: 0 unless a fan meets a creator).
 */
export interface MatchPeer extends Prices {
  userId: string;
  displayName: string;
  age: number;
  gender: (typeof GENDERS)[number] | null;
  /** The interests they joined this session with, then their profile's. */
  interests: string[];
  /** Their avatar (or first ready photo); null if they have none. */
  photo: MediaView | null;
}

export interface MatchFound {
  sessionId: string;
  mode: MatchMode;
  /** Video sessions: this user's credentials for the session's SFU room, and TURN relays, as for a call. */
  media?: CallMedia;
  /** Session messages go through chat:send with this conversation (closed when the session ends). */
  conversationId: string;
  /** Messages in a random-match session are never charged, whoever the peer is: send them without expectedPrice. */
  messagesFree: true;
  peer: MatchPeer;
  commonInterests: string[];
}

/** `nudity`: a snapshot of one side's camera was nude (match:snapshot); that user is flagged for the admins. */
export type MatchEndReason = 'skip' | 'leave' | 'disconnect' | 'blocked' | 'nudity';
