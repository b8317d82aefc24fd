import { z } from 'zod';
import { text } from './input.js';

/** Events of the admin-only `/admin` namespace. */
export const adminEventSchemas = {
  'admin:online': z.strictObject({ q: text().trim().max(100).default(''), limit: z.number().int().min(1).max(200).default(50) }),
} as const;

export interface AdminEventResults {
  'admin:online': { users: { id: string; displayName: string; role: string; status: string }[] };
}

/** Pushed to admin sockets at most once a second. */
export interface AdminSnapshot {
  at: string;
  node: string;
  onlineUsers: number;
  socketsPerNode: Record<string, number>;
  messagesPerSecond: number;
  /** Users waiting in the random-match queue, per mode. */
  matchQueue: Record<string, number>;
  /** Calls not ended, cluster-wide: in progress, ringing or connecting, and in progress per Janus instance. */
  activeCalls: CallCounts;
}

export interface CallCounts {
  active: number;
  ringing: number;
  perSfuInstance: Record<string, number>;
}
