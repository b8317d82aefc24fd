import type { NotificationChannel, NotificationKind, NotificationPayload } from '../../../../shared/notifications.js';
import type { Database, Queryable } from '../../db/database.js';
import { parseInt8 } from '../../db/database.js';

export interface NotificationRow {
  id: string;
  user_id: string;
  kind: NotificationKind;
  subject: string;
  count: number;
  payload: NotificationPayload;
  created_at: Date;
  updated_at: Date;
  read_at: Date | null;
  emailed_at: Date | null;
}

export interface PushSubscriptionRow {
  endpoint: string;
  user_id: string;
  p256dh: string;
  auth: string;
}

const COLUMNS = 'id, user_id, kind, subject, count, payload, created_at, updated_at, read_at, emailed_at';
/** An event carrying the same `ref` as the open row's last one is a repeat (a retried job), not one more. */
const NOT_A_REPEAT = `(EXCLUDED.payload->>'ref' IS NULL OR notifications.payload->>'ref' IS DISTINCT FROM EXCLUDED.payload->>'ref')`;

export class NotificationsStore {
  constructor(private readonly db: Database) {}

  /** Account erasure: a user's notifications, preferences and push subscriptions. */
  async forget(userId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM notifications WHERE user_id = $1`, [userId]);
      await tx.query(`DELETE FROM notification_preferences WHERE user_id = $1`, [userId]);
      await tx.query(`DELETE FROM push_subscriptions WHERE user_id = $1`, [userId]);
    });
  }

  /**
   * One event: collapsed into the open row of its key, or a new row when there is none. A row stops
   * collapsing (is closed) once read, mailed, or older than the window; the partial unique index keeps
   * one open row per key, so concurrent notifies from several nodes collapse rather than race.
   */
  async record(userId: string, kind: NotificationKind, subject: string, payload: NotificationPayload, windowSeconds: number): Promise<NotificationRow | undefined> {
    return this.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE notifications SET open = false
         WHERE user_id = $1 AND kind = $2 AND subject = $3 AND open AND created_at < now() - make_interval(secs => $4)`,
        [userId, kind, subject, windowSeconds],
      );
      const { rows } = await tx.query<NotificationRow>(
        `INSERT INTO notifications (user_id, kind, subject, payload) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, kind, subject) WHERE open
         DO UPDATE SET count = notifications.count + 1, payload = EXCLUDED.payload, updated_at = now()
         WHERE ${NOT_A_REPEAT}
         RETURNING ${COLUMNS}`,
        [userId, kind, subject, JSON.stringify(payload)],
      );
      return rows[0];
    });
  }

  /**
   * One event for many users at once (a post's fan-out batch): one statement, users who turned the kind off
   * in-app left out. Open rows older than the window are not closed here (a batch stays one statement): they
   * keep collapsing until read or mailed. Returns the rows written, with each user's unread count.
   * recordEach with one subject and payload.
   */
  recordMany(userIds: string[], kind: NotificationKind, subject: string, payload: NotificationPayload): Promise<(NotificationRow & { unread: string })[]> {
    return this.recordEach(userIds.map((userId) => ({ userId, subject, payload })), kind);
  }

  /**
   * One event per user, each about a subject of its own with a payload of its own (a mass message's copies:
   * one per recipient's conversation), in one statement.
   */
  async recordEach(items: { userId: string; subject: string; payload: NotificationPayload }[], kind: NotificationKind): Promise<(NotificationRow & { unread: string })[]> {
    if (items.length === 0) return [];
    const { rows } = await this.db.query<NotificationRow & { unread: string }>(
      `WITH written AS (
         INSERT INTO notifications (user_id, kind, subject, payload)
         SELECT u.id, $4, u.subject, u.payload FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) AS u (id, subject, payload)
         WHERE NOT EXISTS (SELECT 1 FROM notification_preferences p WHERE p.user_id = u.id AND p.kind = $4 AND p.channel = 'in_app' AND NOT p.enabled)
         ON CONFLICT (user_id, kind, subject) WHERE open
         DO UPDATE SET count = notifications.count + 1, payload = EXCLUDED.payload, updated_at = now()
         WHERE ${NOT_A_REPEAT}
         RETURNING ${COLUMNS}
       )
       SELECT w.*, (SELECT count(*) FROM notifications n WHERE n.user_id = w.user_id AND n.read_at IS NULL) + CASE WHEN w.count = 1 THEN 1 ELSE 0 END AS unread
       FROM written w`,
      [items.map((i) => i.userId), items.map((i) => i.subject), items.map((i) => JSON.stringify(i.payload)), kind],
    );
    return rows;
  }

  /** Of these users, those who turned a channel of a kind off (one read for a batch). */
  async turnedOff(userIds: string[], kind: NotificationKind, channel: NotificationChannel): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const { rows } = await this.db.query<{ user_id: string }>(
      `SELECT user_id FROM notification_preferences WHERE user_id = ANY($1::uuid[]) AND kind = $2 AND channel = $3 AND NOT enabled`,
      [userIds, kind, channel],
    );
    return new Set(rows.map((r) => r.user_id));
  }

  /** Keeps a user's newest `keep` notifications (the list is a recent history, not an archive). */
  async prune(userId: string, keep: number): Promise<void> {
    await this.db.query(
      `DELETE FROM notifications WHERE user_id = $1 AND id IN (
         SELECT id FROM notifications WHERE user_id = $1 ORDER BY updated_at DESC, id DESC OFFSET $2)`,
      [userId, keep],
    );
  }

  async byId(id: string): Promise<NotificationRow | undefined> {
    const { rows } = await this.db.query<NotificationRow>(`SELECT ${COLUMNS} FROM notifications WHERE id = $1`, [id]);
    return rows[0];
  }

  /** Newest first (by the last collapsed event), after the cursor's row. */
  async list(userId: string, f: { before?: { at: Date; id: string }; limit: number; unreadOnly: boolean }): Promise<NotificationRow[]> {
    const { rows } = await this.db.query<NotificationRow>(
      `SELECT ${COLUMNS} FROM notifications
       WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (updated_at, id) < ($2, $3::uuid)) AND (NOT $4 OR read_at IS NULL)
       ORDER BY updated_at DESC, id DESC LIMIT $5`,
      [userId, f.before?.at ?? null, f.before?.id ?? null, f.unreadOnly, f.limit],
    );
    return rows;
  }

  async unreadCount(userId: string, q: Queryable = this.db): Promise<number> {
    const { rows } = await q.query<{ n: string }>(`SELECT count(*) AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL`, [userId]);
    return parseInt8(rows[0]!.n);
  }

  /** False when the user has no such notification. Reading twice is reading once. */
  async markRead(userId: string, id: string): Promise<boolean> {
    const res = await this.db.query(
      `UPDATE notifications SET read_at = COALESCE(read_at, now()), open = false WHERE id = $1 AND user_id = $2 RETURNING id`,
      [id, userId],
    );
    return res.rowCount > 0;
  }

  async markAllRead(userId: string): Promise<number> {
    const res = await this.db.query(`UPDATE notifications SET read_at = now(), open = false WHERE user_id = $1 AND read_at IS NULL RETURNING id`, [userId]);
    return res.rowCount;
  }

  /** Mailed notifications stop collapsing: what comes after is news for the next mail. */
  async markEmailed(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(`UPDATE notifications SET emailed_at = now(), open = false WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** Users with unread notifications not mailed yet whose last event is older than `before`. */
  async digestCandidates(before: Date, limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ user_id: string }>(
      `SELECT DISTINCT user_id FROM notifications
       WHERE read_at IS NULL AND emailed_at IS NULL AND updated_at < $1 LIMIT $2`,
      [before, limit],
    );
    return rows.map((r) => r.user_id);
  }

  async pendingForDigest(userId: string, limit: number): Promise<NotificationRow[]> {
    const { rows } = await this.db.query<NotificationRow>(
      `SELECT ${COLUMNS} FROM notifications WHERE user_id = $1 AND read_at IS NULL AND emailed_at IS NULL
       ORDER BY updated_at DESC LIMIT $2`,
      [userId, limit],
    );
    return rows;
  }

  /** The user's stored preferences (those that differ from the defaults, as last set). */
  async preferences(userId: string): Promise<{ kind: NotificationKind; channel: NotificationChannel; enabled: boolean }[]> {
    const { rows } = await this.db.query<{ kind: NotificationKind; channel: NotificationChannel; enabled: boolean }>(
      `SELECT kind, channel, enabled FROM notification_preferences WHERE user_id = $1`,
      [userId],
    );
    return rows;
  }

  /** Stored choices for one kind, every channel (absent: the default). */
  async preferencesOf(userId: string, kind: NotificationKind): Promise<Map<NotificationChannel, boolean>> {
    const { rows } = await this.db.query<{ channel: NotificationChannel; enabled: boolean }>(
      `SELECT channel, enabled FROM notification_preferences WHERE user_id = $1 AND kind = $2`,
      [userId, kind],
    );
    return new Map(rows.map((r) => [r.channel, r.enabled]));
  }

  async setPreferences(userId: string, prefs: { kind: NotificationKind; channel: NotificationChannel; enabled: boolean }[]): Promise<void> {
    await this.db.query(
      `INSERT INTO notification_preferences (user_id, kind, channel, enabled)
       SELECT $1, p.kind, p.channel, p.enabled FROM unnest($2::text[], $3::text[], $4::boolean[]) AS p (kind, channel, enabled)
       ON CONFLICT (user_id, kind, channel) DO UPDATE SET enabled = EXCLUDED.enabled`,
      [userId, prefs.map((p) => p.kind), prefs.map((p) => p.channel), prefs.map((p) => p.enabled)],
    );
  }

  /** A browser subscribing again (or for another user, after a sign-in on the same browser) replaces its row. */
  async addPushSubscription(s: PushSubscriptionRow): Promise<void> {
    await this.db.query(
      `INSERT INTO push_subscriptions (endpoint, user_id, p256dh, auth) VALUES ($1, $2, $3, $4)
       ON CONFLICT (endpoint) DO UPDATE SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, created_at = now()`,
      [s.endpoint, s.user_id, s.p256dh, s.auth],
    );
  }

  async removePushSubscription(userId: string, endpoint: string): Promise<boolean> {
    const res = await this.db.query(`DELETE FROM push_subscriptions WHERE endpoint = $1 AND user_id = $2 RETURNING endpoint`, [endpoint, userId]);
    return res.rowCount > 0;
  }

  /** The push service said the subscription is gone (404/410). */
  async dropPushEndpoint(endpoint: string): Promise<void> {
    await this.db.query(`DELETE FROM push_subscriptions WHERE endpoint = $1`, [endpoint]);
  }

  async pushSubscriptions(userId: string): Promise<PushSubscriptionRow[]> {
    const { rows } = await this.db.query<PushSubscriptionRow>(`SELECT endpoint, user_id, p256dh, auth FROM push_subscriptions WHERE user_id = $1`, [userId]);
    return rows;
  }
}
