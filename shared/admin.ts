import { z } from 'zod';
import { email, password } from './auth.js';
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

/** Making (or promoting) an admin: the CLI's input, and the body of the embedded server's control call. */
export const adminCreateBody = z.strictObject({
  email,
  password,
  displayName: z.string().trim().min(1).max(50).default('Admin'),
});
export type AdminCreateBody = z.infer<typeof adminCreateBody>;
