import { z } from 'zod';
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

export interface MatchPeer {
  userId: string;
  displayName: string;
  age: number;
  gender: (typeof GENDERS)[number] | null;
  interests: string[];
}

export interface MatchFound {
  sessionId: string;
  mode: MatchMode;
  /** Video sessions: this user's credentials for the session's SFU room. */
  media?: { clientUrl: string; roomId: number; token: string };
  /** Session messages go through chat:send with this conversation (closed when the session ends). */
  conversationId: string;
  peer: MatchPeer;
  commonInterests: string[];
}

export type MatchEndReason = 'skip' | 'leave' | 'disconnect' | 'blocked';
