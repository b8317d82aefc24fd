import type { Queryable } from '../../db/database.js';
import type { MessageRow } from './chat.store.js';

/** One sender's message to many people, each in their direct conversation with the sender. */
export interface MassDelivery {
  senderId: string;
  body: string;
  attachment: { mediaId: string; price: number } | null;
  /** Each recipient and the id their copy gets (also its clientId). */
  recipients: { userId: string; messageId: string }[];
}

/**
 * Chat's side of mass messages: many recipients' copies of one message in a few statements (not one
 * transaction, nor one round trip, per recipient), inside the caller's transaction. Locks follow the
 * group commit's order (conversations by id, then member rows by key), so a mass batch and the sends or
 * receipts it meets wait for each other but never in a cycle.
 */
export class ChatMassStore {
  async deliver(q: Queryable, d: MassDelivery): Promise<(MessageRow & { recipient_id: string })[]> {
    if (d.recipients.length === 0) return [];
    const userIds = d.recipients.map((r) => r.userId);
    // Conversations that do not exist yet, with both members (a twin created meanwhile is left alone).
    await q.query(
      `WITH ins AS (
         INSERT INTO conversations (user_low, user_high)
         SELECT least($1::uuid, u), greatest($1::uuid, u) FROM unnest($2::uuid[]) u ORDER BY 1, 2
         ON CONFLICT (user_low, user_high) WHERE kind = 'direct' DO NOTHING
         RETURNING id, user_low, user_high
       )
       INSERT INTO conversation_members (conversation_id, user_id, peer_id)
       SELECT id, user_low, user_high FROM ins UNION ALL SELECT id, user_high, user_low FROM ins`,
      [d.senderId, userIds],
    );
    const { rows: locked } = await q.query<{ id: string; user_id: string }>(
      `SELECT c.id, CASE WHEN c.user_low = $1 THEN c.user_high ELSE c.user_low END AS user_id
       FROM conversations c
       WHERE c.kind = 'direct' AND ((c.user_low = $1 AND c.user_high = ANY($2::uuid[])) OR (c.user_high = $1 AND c.user_low = ANY($2::uuid[])))
       ORDER BY c.id
       FOR UPDATE`,
      [d.senderId, userIds],
    );
    const ids = locked.map((c) => c.id);
    await q.query(
      `SELECT 1 FROM conversation_members WHERE conversation_id = ANY($1::uuid[]) AND user_id = $2 ORDER BY conversation_id FOR UPDATE`,
      [ids, d.senderId],
    );
    const messageOf = new Map(d.recipients.map((r) => [r.userId, r.messageId]));
    const { rows } = await q.query<MessageRow & { recipient_id: string }>(
      `WITH i AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS t(conversation_id, recipient_id, message_id)
       ), bumped AS (
         UPDATE conversations c SET last_seq = c.last_seq + 1, last_message_at = now()
         FROM i WHERE c.id = i.conversation_id
         RETURNING c.id, c.last_seq
       ), ins AS (
         INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, price, attachment_id, attachment_price)
         SELECT i.message_id, b.id, b.last_seq, $4, i.message_id, $5, 0, $6, $7 FROM i JOIN bumped b ON b.id = i.conversation_id
         RETURNING *
       ), mine AS (
         UPDATE conversation_members cm SET read_seq = b.last_seq, delivered_seq = b.last_seq
         FROM bumped b WHERE cm.conversation_id = b.id AND cm.user_id = $4
       )
       SELECT ins.*, i.recipient_id FROM ins JOIN i ON i.message_id = ins.id`,
      [ids, locked.map((c) => c.user_id), locked.map((c) => messageOf.get(c.user_id)!), d.senderId, d.body, d.attachment?.mediaId ?? null, d.attachment?.price ?? 0],
    );
    return rows;
  }
}
