import { pgError, type Queryable } from '../../db/database.js';
import type { MessageView } from '../../../../shared/chat.js';

export interface ConversationRow {
  id: string;
  user_low: string;
  user_high: string;
  kind: 'direct' | 'match';
  last_seq: number;
  closed_at: Date | null;
}

export interface MessageRow {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  client_id: string;
  body: string;
  price: number;
  created_at: Date;
}

export function toMessageView(m: MessageRow): MessageView {
  return {
    id: m.id,
    conversationId: m.conversation_id,
    seq: m.seq,
    senderId: m.sender_id,
    clientId: m.client_id,
    body: m.body,
    price: m.price,
    createdAt: m.created_at.toISOString(),
  };
}

export interface SendState {
  peer_id: string;
  kind: 'direct' | 'match';
  closed_at: Date | null;
  existing_id: string | null;
  blocked: boolean;
  peer_role: string;
  peer_price: number;
}

/** The insert lost to a concurrent send with the same clientId (committed first): the send is retried, and replays or conflicts. */
export function isClientIdTaken(err: unknown): boolean {
  const e = pgError(err);
  return e?.code === '23505' && e.constraint === 'messages_sender_id_client_id_key';
}

export interface ConversationListRow {
  id: string;
  kind: string;
  peer_id: string;
  peer_name: string;
  peer_role: string;
  peer_message_price: number;
  peer_call_price: number;
  peer_last_seen: Date | null;
  last_seq: number;
  last_message_at: Date | null;
  read_seq: number;
  delivered_seq: number;
  peer_read_seq: number;
  peer_delivered_seq: number;
  unread: number;
  last_message: MessageRow | null;
}

export class ChatStore {
  constructor(private readonly db: Queryable) {}

  /** The direct conversation of a pair, created with both members on first use. */
  async directConversation(a: string, b: string, q: Queryable = this.db): Promise<string | undefined> {
    const [low, high] = a < b ? [a, b] : [b, a];
    const { rows } = await q.query<{ id: string }>(
      `WITH ins AS (
         INSERT INTO conversations (user_low, user_high) VALUES ($1, $2)
         ON CONFLICT (user_low, user_high) WHERE kind = 'direct' DO NOTHING RETURNING id
       ), members AS (
         INSERT INTO conversation_members (conversation_id, user_id, peer_id)
         SELECT id, $1, $2 FROM ins UNION ALL SELECT id, $2, $1 FROM ins
       )
       SELECT id FROM ins
       UNION ALL
       SELECT id FROM conversations WHERE user_low = $1 AND user_high = $2 AND kind = 'direct'`,
      [low, high],
    );
    return rows[0]?.id;
  }

  /**
   * Everything a send decides on, in one round trip under the conversation's
   * row lock: undefined unless the sender is a member; else the peer, an
   * earlier message of this sender with this clientId (a retry), a block
   * either way, and the peer's role and message price.
   * The retry lookup reads the snapshot taken before the lock was granted: a
   * twin of this send that committed while we waited is not seen here, and
   * its unique clientId makes our insert fail (isClientIdTaken).
   */
  async lockForSend(
    q: Queryable,
    s: { conversationId: string; senderId: string; clientId: string },
  ): Promise<SendState | undefined> {
    const { rows } = await q.query<SendState>(
      `SELECT me.peer_id, c.kind, c.closed_at,
              (SELECT m.id FROM messages m WHERE m.sender_id = $2 AND m.client_id = $3) AS existing_id,
              EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = $2 AND b.blocked_id = me.peer_id)
                                              OR (b.blocker_id = me.peer_id AND b.blocked_id = $2)) AS blocked,
              u.role AS peer_role, u.message_price AS peer_price
       FROM conversations c
       JOIN conversation_members me ON me.conversation_id = c.id AND me.user_id = $2
       JOIN users u ON u.id = me.peer_id
       WHERE c.id = $1
       FOR UPDATE OF c`,
      [s.conversationId, s.senderId, s.clientId],
    );
    return rows[0];
  }

  async messageById(q: Queryable, id: string): Promise<MessageRow | undefined> {
    const { rows } = await q.query<MessageRow>(`SELECT * FROM messages WHERE id = $1`, [id]);
    return rows[0];
  }

  /** The sender's message with this clientId, if one is stored (the unique index on sender_id, client_id). */
  async messageByClientId(senderId: string, clientId: string): Promise<MessageRow | undefined> {
    const { rows } = await this.db.query<MessageRow>(`SELECT * FROM messages WHERE sender_id = $1 AND client_id = $2`, [senderId, clientId]);
    return rows[0];
  }

  async member(conversationId: string, userId: string): Promise<{ peer_id: string } | undefined> {
    const { rows } = await this.db.query<{ peer_id: string }>(
      `SELECT peer_id FROM conversation_members WHERE conversation_id = $1 AND user_id = $2`,
      [conversationId, userId],
    );
    return rows[0];
  }


  /** Takes the next sequence number and stores the message; the sender has read everything up to it. */
  async insertMessage(q: Queryable, m: { id: string; conversationId: string; senderId: string; clientId: string; body: string; price: number }): Promise<MessageRow> {
    const { rows } = await q.query<MessageRow>(
      `WITH s AS (
         UPDATE conversations SET last_seq = last_seq + 1, last_message_at = now() WHERE id = $2 RETURNING last_seq
       ), me AS (
         UPDATE conversation_members SET read_seq = (SELECT last_seq FROM s), delivered_seq = (SELECT last_seq FROM s)
         WHERE conversation_id = $2 AND user_id = $3
       )
       INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, price)
       SELECT $1, $2, last_seq, $3, $4, $5, $6 FROM s
       RETURNING *`,
      [m.id, m.conversationId, m.senderId, m.clientId, m.body, m.price],
    );
    return rows[0]!;
  }

  /** Moves a member's delivered (and read) pointer forward, never back, never past the last message. */
  async advance(conversationId: string, userId: string, upToSeq: number, read: boolean): Promise<{ delivered_seq: number; read_seq: number; peer_id: string; unread: number } | undefined> {
    const { rows } = await this.db.query<{ delivered_seq: number; read_seq: number; peer_id: string; unread: number }>(
      `WITH up AS (
         UPDATE conversation_members m
         SET read_seq = CASE WHEN $4 THEN greatest(m.read_seq, least($3, c.last_seq)) ELSE m.read_seq END,
             delivered_seq = greatest(m.delivered_seq, least($3, c.last_seq))
         FROM conversations c
         WHERE c.id = m.conversation_id AND m.conversation_id = $1 AND m.user_id = $2
         RETURNING m.delivered_seq, m.read_seq, m.peer_id
       )
       SELECT up.*, (SELECT count(*)::int FROM messages WHERE conversation_id = $1 AND seq > up.read_seq AND sender_id <> $2) AS unread
       FROM up`,
      [conversationId, userId, upToSeq, read],
    );
    return rows[0];
  }

  async list(userId: string, before: Date | null, limit: number): Promise<ConversationListRow[]> {
    const { rows } = await this.db.query<ConversationListRow>(
      `SELECT c.id, c.kind, me.peer_id, u.display_name AS peer_name, u.role AS peer_role,
              u.message_price AS peer_message_price, u.call_price_per_minute AS peer_call_price, u.last_seen_at AS peer_last_seen,
              c.last_seq, c.last_message_at, me.read_seq, me.delivered_seq,
              peer.read_seq AS peer_read_seq, peer.delivered_seq AS peer_delivered_seq,
              (SELECT count(*)::int FROM messages x WHERE x.conversation_id = c.id AND x.seq > me.read_seq AND x.sender_id <> $1) AS unread,
              (SELECT to_jsonb(x) FROM messages x WHERE x.conversation_id = c.id AND x.seq = c.last_seq) AS last_message
       FROM conversation_members me
       JOIN conversations c ON c.id = me.conversation_id
       JOIN conversation_members peer ON peer.conversation_id = c.id AND peer.user_id = me.peer_id
       JOIN users u ON u.id = me.peer_id
       WHERE me.user_id = $1 AND ($2::timestamptz IS NULL OR coalesce(c.last_message_at, c.created_at) < $2)
       ORDER BY coalesce(c.last_message_at, c.created_at) DESC
       LIMIT $3`,
      [userId, before, limit],
    );
    return rows;
  }

  async history(conversationId: string, range: { before?: number; after?: number }, limit: number): Promise<MessageRow[]> {
    if (range.after !== undefined) {
      const { rows } = await this.db.query<MessageRow>(
        `SELECT * FROM messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq ASC LIMIT $3`,
        [conversationId, range.after, limit],
      );
      return rows;
    }
    const { rows } = await this.db.query<MessageRow>(
      `SELECT * FROM (SELECT * FROM messages WHERE conversation_id = $1 AND ($2::bigint IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3) x ORDER BY seq ASC`,
      [conversationId, range.before ?? null, limit],
    );
    return rows;
  }

  /** Messages in the user's conversations created at or after `since`, oldest first. */
  async since(userId: string, since: Date, limit: number): Promise<MessageRow[]> {
    const { rows } = await this.db.query<MessageRow>(
      `SELECT m.* FROM conversation_members me
       JOIN messages m ON m.conversation_id = me.conversation_id
       WHERE me.user_id = $1 AND m.created_at >= $2
       ORDER BY m.created_at, m.seq LIMIT $3`,
      [userId, since, limit],
    );
    return rows;
  }

  /** Who should hear of these users' presence: their conversation peers, unless a block stands between them. */
  async presenceAudience(userIds: string[]): Promise<{ subject: string; recipient: string }[]> {
    const { rows } = await this.db.query<{ subject: string; recipient: string }>(
      `SELECT m.peer_id AS subject, m.user_id AS recipient
       FROM conversation_members m
       WHERE m.peer_id = ANY($1::uuid[])
         AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = m.user_id AND b.blocked_id = m.peer_id)
                                                 OR (b.blocker_id = m.peer_id AND b.blocked_id = m.user_id))`,
      [userIds],
    );
    return rows;
  }

  async messageForReport(messageId: string, reporterId: string): Promise<MessageRow | undefined> {
    const { rows } = await this.db.query<MessageRow>(
      `SELECT m.* FROM messages m
       JOIN conversation_members me ON me.conversation_id = m.conversation_id AND me.user_id = $2
       WHERE m.id = $1`,
      [messageId, reporterId],
    );
    return rows[0];
  }

  async setLastSeen(userId: string, at: Date): Promise<void> {
    await this.db.query(`UPDATE users SET last_seen_at = $2 WHERE id = $1`, [userId, at]);
  }
}
