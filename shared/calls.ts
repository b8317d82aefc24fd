import { z } from 'zod';
import { expectedPrice } from './prices.js';

/** `expectedPrice`: the per-minute price the client showed (absent: free); the call is billed at it throughout. */
export const callInvite = z.strictObject({ toUserId: z.uuid(), video: z.boolean(), expectedPrice });
export const callRef = z.strictObject({ callId: z.uuid() });

export const CALL_END_REASONS = ['hangup', 'declined', 'cancelled', 'no_answer', 'insufficient_credits', 'media_failure', 'server_lost'] as const;
export type CallEndReason = (typeof CALL_END_REASONS)[number];

/** What a participant's client needs to join the call's SFU room. */
export interface CallMedia {
  clientUrl: string;
  roomId: number;
  /** This participant's own token for the room. */
  token: string;
  /** TURN relays with time-limited credentials for this user (empty when none are configured). */
  iceServers: { urls: string[]; username?: string; credential?: string }[];
}

export interface CallView {
  id: string;
  callerId: string;
  calleeId: string;
  video: boolean;
  state: 'ringing' | 'connecting' | 'active' | 'ended';
  pricePerMinute: number;
  /** The length of a billed minute (CALL_MINUTE_SECONDS; 60 in production): clients show the running cost with it. */
  minuteSeconds: number;
  createdAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  endReason: CallEndReason | null;
  minutesBilled: number;
  creditsBilled: number;
}
