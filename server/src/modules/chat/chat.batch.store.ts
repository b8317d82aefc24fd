import type { Queryable } from '../../db/database.js';
import { peerPolicyJoins, peerPolicySql, type MessageReplyInput, type MessageRow, type SendState } from './chat.store.js';

/**
 * The group-commit statements of chat (see chat.send-batch.ts and chat.receipts.ts): each serves a
 * whole batch of sends or receipts in one round trip, inside the batch's transaction.
 */

/** What a batched send decides on, per request (`ord`: its 1-based place in the batch). */
export interface BatchSendState extends SendState {
  ord: number;
}

export interface BatchInsert {
  id: string;
  conversationId: string;
  senderId: string;
  clientId: string;
  body: string;
  price: number;
  attachment: { mediaId: string; price: number } | null;
  /** The message this one answers (checked to be of the same conversation before the batch). */
  reply?: MessageReplyInput | null;
}

export interface BatchReceipt {
  conversationId: string;
  userId: string;
  /** The delivered pointer asked for (reads count: a message read is delivered). */
  deliveredTo: number;
  /** The read pointer asked for; null: only delivered receipts. */
  readTo: number | null;
}

export interface ReceiptRow {
  conversation_id: string;
  user_id: string;
  peer_id: string;
  delivered_seq: number;
  read_seq: number;
  /** Counted only for a read (null otherwise). */
  unread: number | null;
}

export class ChatBatchStore {
  /**
   * Locks every conversation of the batch, in id order (so two batches, or a batch and a single
   * send, never wait on each other in a cycle), and returns for each request the same state as
   * ChatStore.lockForSend: nothing for a request whose sender is not a member. The clientId look-up
   * reads the snapshot taken before the locks were granted; insert() catches what it missed.
   */
  async lock(q: Queryable, items: { conversationId: string; senderId: string; clientId: string }[]): Promise<BatchSendState[]> {
    const { rows } = await q.query<BatchSendState>(
      `WITH i AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) WITH ORDINALITY AS t(conversation_id, sender_id, client_id, ord)
       ), locked AS (
         SELECT c.id, c.kind, c.closed_at FROM conversations c
         WHERE c.id IN (SELECT conversation_id FROM i)
         ORDER BY c.id
         FOR UPDATE
       )
       SELECT i.ord::int AS ord, me.peer_id, l.kind, l.closed_at,
              (SELECT m.id FROM messages m WHERE m.sender_id = i.sender_id AND m.client_id = i.client_id) AS existing_id,
              blocked_either_way(i.sender_id, me.peer_id) AS blocked,
              u.role AS peer_role, u.message_price AS peer_price,
              ${peerPolicySql('i.sender_id', 'me.peer_id', 'i.conversation_id')}
       FROM i
       JOIN locked l ON l.id = i.conversation_id
       JOIN conversation_members me ON me.conversation_id = i.conversation_id AND me.user_id = i.sender_id
       JOIN user_cards u ON u.id = me.peer_id
       ${peerPolicyJoins('me.peer_id')}`,
      [items.map((i) => i.conversationId), items.map((i) => i.senderId), items.map((i) => i.clientId)],
    );
    return rows;
  }

  /**
   * Stores the batch's messages under the locks lock() took: sequence numbers continue each
   * conversation's last_seq in the batch's order, the conversations' last_seq and each sender's
   * pointers move to their newest message (member rows locked in key order, as receipts lock them),
   * and a request whose (sender, clientId) is already stored is not inserted. Returns the rows
   * inserted (`inserted`) and the rows already stored under a request's clientId. A request in
   * neither lost its clientId to a twin that committed meanwhile (ON CONFLICT skipped it, which
   * leaves a hole in the numbering): the caller rolls the batch back and runs it again.
   */
  async insert(q: Queryable, items: BatchInsert[]): Promise<(MessageRow & { inserted: boolean })[]> {
    const { rows } = await q.query<MessageRow & { inserted: boolean }>(
      `WITH i AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::int[], $7::uuid[], $8::int[], $9::uuid[], $10::uuid[], $11::text[]) WITH ORDINALITY
           AS t(id, conversation_id, sender_id, client_id, body, price, attachment_id, attachment_price, reply_to, reply_sender_id, reply_excerpt, ord)
       ), fresh AS (
         SELECT i.*, c.last_seq + row_number() OVER (PARTITION BY i.conversation_id ORDER BY i.ord) AS seq
         FROM i JOIN conversations c ON c.id = i.conversation_id
         WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.sender_id = i.sender_id AND m.client_id = i.client_id)
       ), ins AS (
         INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, price, attachment_id, attachment_price, reply_to, reply_sender_id, reply_excerpt)
         SELECT id, conversation_id, seq, sender_id, client_id, body, price, attachment_id, attachment_price, reply_to, reply_sender_id, reply_excerpt FROM fresh ORDER BY ord
         ON CONFLICT (sender_id, client_id) DO NOTHING
         RETURNING *
       ), conv AS (
         UPDATE conversations c SET last_seq = x.seq, last_message_at = now()
         FROM (SELECT conversation_id, max(seq) AS seq FROM ins GROUP BY conversation_id) x
         WHERE c.id = x.conversation_id
       ), mine AS (
         SELECT cm.conversation_id, cm.user_id FROM conversation_members cm
         JOIN (SELECT DISTINCT conversation_id, sender_id FROM fresh) f ON f.conversation_id = cm.conversation_id AND f.sender_id = cm.user_id
         ORDER BY cm.conversation_id, cm.user_id
         FOR UPDATE OF cm
       ), me AS (
         UPDATE conversation_members cm SET read_seq = x.seq, delivered_seq = x.seq
         FROM (SELECT conversation_id, sender_id, max(seq) AS seq FROM ins GROUP BY conversation_id, sender_id) x, mine
         WHERE mine.conversation_id = x.conversation_id AND mine.user_id = x.sender_id
           AND cm.conversation_id = x.conversation_id AND cm.user_id = x.sender_id
       )
       SELECT ins.*, true AS inserted FROM ins
       UNION ALL
       SELECT m.*, false FROM i JOIN messages m ON m.sender_id = i.sender_id AND m.client_id = i.client_id`,
      [
        items.map((i) => i.id),
        items.map((i) => i.conversationId),
        items.map((i) => i.senderId),
        items.map((i) => i.clientId),
        items.map((i) => i.body),
        items.map((i) => i.price),
        items.map((i) => i.attachment?.mediaId ?? null),
        items.map((i) => i.attachment?.price ?? 0),
        items.map((i) => i.reply?.id ?? null),
        items.map((i) => i.reply?.senderId ?? null),
        items.map((i) => i.reply?.excerpt ?? null),
      ],
    );
    return rows;
  }

  /**
   * Moves many members' delivered and read pointers forward at once (one entry per member: the
   * caller merges receipts), never back, never past the last message. Member rows are locked in key
   * order first, as insert() locks them, so a receipt batch and a send batch never deadlock.
   * Members that are not (conversation, user) pairs get no row.
   */
  async advance(q: Queryable, items: BatchReceipt[]): Promise<ReceiptRow[]> {
    const { rows } = await q.query<ReceiptRow>(
      `WITH i AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::bigint[]) AS t(conversation_id, user_id, delivered_to, read_to)
       ), lk AS (
         SELECT m.conversation_id, m.user_id FROM conversation_members m
         JOIN i ON i.conversation_id = m.conversation_id AND i.user_id = m.user_id
         ORDER BY m.conversation_id, m.user_id
         FOR UPDATE OF m
       ), up AS (
         UPDATE conversation_members m
         SET read_seq = CASE WHEN i.read_to IS NULL THEN m.read_seq ELSE greatest(m.read_seq, least(i.read_to, c.last_seq)) END,
             delivered_seq = greatest(m.delivered_seq, least(i.delivered_to, c.last_seq))
         FROM lk, i, conversations c
         WHERE m.conversation_id = lk.conversation_id AND m.user_id = lk.user_id
           AND i.conversation_id = lk.conversation_id AND i.user_id = lk.user_id AND c.id = lk.conversation_id
         RETURNING m.conversation_id, m.user_id, m.peer_id, m.delivered_seq, m.read_seq, i.read_to
       )
       SELECT up.conversation_id, up.user_id, up.peer_id, up.delivered_seq, up.read_seq,
              CASE WHEN up.read_to IS NULL THEN NULL
                   ELSE (SELECT count(*)::int FROM messages x WHERE x.conversation_id = up.conversation_id AND x.seq > up.read_seq AND x.sender_id <> up.user_id) END AS unread
       FROM up`,
      [items.map((i) => i.conversationId), items.map((i) => i.userId), items.map((i) => i.deliveredTo), items.map((i) => i.readTo)],
    );
    return rows;
  }
}
