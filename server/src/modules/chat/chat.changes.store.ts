import type { Queryable } from '../../db/database.js';
import type { MessageRow } from './chat.store.js';

/** What a change to a message decides on, read under its conversation's row lock. */
export interface ChangeState {
  peer_id: string;
  closed: boolean;
  blocked: boolean;
  sender_id: string;
  deleted: boolean;
  body: string;
  attachment_id: string | null;
  /** Seconds since the message was sent, by the database's clock. */
  age_seconds: number;
}

/**
 * Reactions, edits, deletes and the reads that carry them (chat:sync's changes, search). A change locks its
 * message's row first (lockMessage: changes to one message take turns), and numbers itself from its
 * conversation's change_seq in the last statement, which writes the message: the conversation's row is
 * locked from there to the commit only (one round trip, not the whole change, so the conversation's sends
 * wait as little as possible), and a conversation's changes are numbered in commit order.
 * Locks are always taken message first, then conversation; nothing takes them the other way round.
 */
export class ChatChangesStore {
  constructor(
    private readonly db: Queryable,
    /** Lag-tolerant reads (Database.reader): a replica unless the user just wrote. */
    private readonly reads: (userId?: string) => Queryable = () => db,
  ) {}

  /** Locks the message and reads what a change decides on, if it is in that conversation and the user is a member of it; undefined otherwise. */
  async lockMessage(q: Queryable, conversationId: string, messageId: string, userId: string): Promise<ChangeState | undefined> {
    const { rows } = await q.query<ChangeState>(
      `SELECT me.peer_id, c.closed_at IS NOT NULL AS closed, blocked_either_way($3, me.peer_id) AS blocked,
              m.sender_id, m.deleted_at IS NOT NULL AS deleted, m.body, m.attachment_id,
              extract(epoch FROM now() - m.created_at)::float8 AS age_seconds
       FROM conversations c
       JOIN conversation_members me ON me.conversation_id = c.id AND me.user_id = $3
       JOIN messages m ON m.id = $2 AND m.conversation_id = c.id
       WHERE c.id = $1
       FOR UPDATE OF m`,
      [conversationId, messageId, userId],
    );
    return rows[0];
  }

  async message(q: Queryable, conversationId: string, id: string): Promise<MessageRow | undefined> {
    const { rows } = await q.query<MessageRow>(`SELECT * FROM messages WHERE conversation_id = $1 AND id = $2`, [conversationId, id]);
    return rows[0];
  }

  /** Adds or removes one reaction; false when it already was so (nothing changed). */
  async setReaction(q: Queryable, conversationId: string, messageId: string, userId: string, emoji: string, on: boolean): Promise<boolean> {
    const { rowCount } = on
      ? await q.query(`INSERT INTO message_reactions (message_id, conversation_id, user_id, emoji) VALUES ($1, $4, $2, $3) ON CONFLICT DO NOTHING`, [messageId, userId, emoji, conversationId])
      : await q.query(`DELETE FROM message_reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3`, [messageId, userId, emoji]);
    return rowCount > 0;
  }

  /** Rewrites the message's reaction summary from message_reactions, with the next change number. */
  async reactionsChanged(q: Queryable, conversationId: string, messageId: string): Promise<MessageRow> {
    return this.change(
      q,
      conversationId,
      messageId,
      `reactions = (SELECT coalesce(jsonb_agg(jsonb_build_object('emoji', r.emoji, 'userIds', r.users) ORDER BY r.first), '[]'::jsonb)
                    FROM (SELECT emoji, jsonb_agg(user_id ORDER BY created_at) AS users, min(created_at) AS first
                          FROM message_reactions WHERE message_id = $2 GROUP BY emoji) r)`,
      [],
    );
  }

  /** Keeps the current text as an earlier version, then stores the new one. */
  async edit(q: Queryable, conversationId: string, messageId: string, body: string): Promise<MessageRow> {
    await q.query(`INSERT INTO message_edits (message_id, conversation_id, body) SELECT id, conversation_id, body FROM messages WHERE conversation_id = $1 AND id = $2`, [
      conversationId,
      messageId,
    ]);
    return this.change(q, conversationId, messageId, `body = $3, edited_at = now()`, [body]);
  }

  /** A tombstone: the body, its earlier versions, the attachment and the reactions removed; seq and price kept. */
  async deleteForEveryone(q: Queryable, conversationId: string, messageId: string): Promise<MessageRow> {
    await q.query(`DELETE FROM message_edits WHERE message_id = $1`, [messageId]);
    await q.query(`DELETE FROM message_reactions WHERE message_id = $1`, [messageId]);
    return this.change(q, conversationId, messageId, `body = '', attachment_id = NULL, reactions = '[]'::jsonb, deleted_at = now()`, []);
  }

  private async change(q: Queryable, conversationId: string, messageId: string, set: string, extra: unknown[]): Promise<MessageRow> {
    const { rows } = await q.query<MessageRow>(
      `WITH s AS (UPDATE conversations SET change_seq = change_seq + 1 WHERE id = $1 RETURNING change_seq)
       UPDATE messages SET ${set}, change_seq = (SELECT change_seq FROM s), changed_at = now()
       WHERE conversation_id = $1 AND id = $2
       RETURNING *`,
      [conversationId, messageId, ...extra],
    );
    return rows[0]!;
  }

  /** Delete for me; false when the user had hidden it already. */
  async hide(q: Queryable, userId: string, conversationId: string, messageId: string): Promise<boolean> {
    const { rowCount } = await q.query(`INSERT INTO message_hidden (user_id, conversation_id, message_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [userId, conversationId, messageId]);
    return rowCount > 0;
  }

  /** The message a reply quotes, if it is in this conversation and the user is a member of it. */
  async replyTarget(conversationId: string, messageId: string, userId: string, excerptLength: number): Promise<{ sender_id: string; excerpt: string; deleted: boolean } | undefined> {
    const { rows } = await this.db.query<{ sender_id: string; excerpt: string; deleted: boolean }>(
      `SELECT m.sender_id, left(m.body, $4) AS excerpt, m.deleted_at IS NOT NULL AS deleted
       FROM messages m
       JOIN conversation_members me ON me.conversation_id = m.conversation_id AND me.user_id = $3
       WHERE m.id = $2 AND m.conversation_id = $1`,
      [conversationId, messageId, userId, excerptLength],
    );
    return rows[0];
  }

  /** Messages of the user's conversations changed at or after `at` (not hidden by the user), oldest change first. */
  async changedSince(
    userId: string,
    from: { at: Date } | { after: { at: string; conversationId: string; seq: number } },
    limit: number,
  ): Promise<(MessageRow & { change_key: string })[]> {
    const after = 'after' in from;
    // Ordered by (changed_at, conversation, change_seq), each row with changed_at to the microsecond for the
    // next page's cursor (a JS Date would round it and repeat or skip changes of the same millisecond).
    const { rows } = await this.db.query<MessageRow & { change_key: string }>(
      `SELECT m.*, to_char(m.changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS change_key
       FROM conversation_members me
       JOIN messages m ON m.conversation_id = me.conversation_id
        AND ${after ? '(m.changed_at, m.conversation_id, m.change_seq) > ($2::timestamptz, $3::uuid, $4::bigint)' : 'm.changed_at >= $2'}
       WHERE me.user_id = $1
         AND NOT EXISTS (SELECT 1 FROM message_hidden h WHERE h.user_id = $1 AND h.message_id = m.id)
       ORDER BY m.changed_at, m.conversation_id, m.change_seq
       LIMIT ${after ? '$5' : '$3'}`,
      after ? [userId, from.after.at, from.after.conversationId, from.after.seq, limit] : [userId, from.at, limit],
    );
    return rows;
  }

  /** What the user deleted for themselves at or after `at`. */
  async hiddenSince(userId: string, at: Date, limit: number): Promise<{ conversationId: string; messageId: string }[]> {
    const { rows } = await this.db.query<{ conversationId: string; messageId: string }>(
      `SELECT m.conversation_id AS "conversationId", h.message_id AS "messageId"
       FROM message_hidden h JOIN messages m ON m.id = h.message_id
       WHERE h.user_id = $1 AND h.hidden_at >= $2
       ORDER BY h.hidden_at
       LIMIT $3`,
      [userId, at, limit],
    );
    return rows;
  }

  /**
   * Full text over the user's conversations (or one of them), newest first: words as typed, no stemming
   * (`simple`), web-search syntax ("quoted phrase", -word, or). Deleted and hidden messages are not found.
   */
  async search(userId: string, query: string, conversationId: string | null, limit: number): Promise<MessageRow[]> {
    const { rows } = await this.reads(userId).query<MessageRow>(
      `SELECT m.* FROM conversation_members me
       JOIN messages m ON m.conversation_id = me.conversation_id
       WHERE me.user_id = $1 AND ($3::uuid IS NULL OR me.conversation_id = $3)
         AND m.deleted_at IS NULL
         AND to_tsvector('simple', m.body) @@ websearch_to_tsquery('simple', $2)
         AND NOT EXISTS (SELECT 1 FROM message_hidden h WHERE h.user_id = $1 AND h.message_id = m.id)
       ORDER BY m.created_at DESC
       LIMIT $4`,
      [userId, query, conversationId, limit],
    );
    return rows;
  }

  /** A message's earlier versions, oldest first (for moderation and reports). */
  async edits(q: Queryable, messageId: string): Promise<{ body: string; editedAt: string }[]> {
    const { rows } = await q.query<{ body: string; editedAt: string }>(
      `SELECT body, to_char(edited_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "editedAt" FROM message_edits WHERE message_id = $1 ORDER BY id`,
      [messageId],
    );
    return rows;
  }
}
