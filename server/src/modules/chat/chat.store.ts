import { pgError, type Queryable } from '../../db/database.js';
import type { MessageView, Reaction } from '../../../../shared/chat.js';

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
  attachment_id: string | null;
  attachment_price: number;
  created_at: Date;
  /** Added by 0025; rows read through to_jsonb carry timestamps as text. */
  reply_to?: string | null;
  reply_sender_id?: string | null;
  reply_excerpt?: string | null;
  edited_at?: Date | string | null;
  deleted_at?: Date | string | null;
  change_seq?: number | string;
  reactions?: { emoji: Reaction; userIds: string[] }[];
}

/** A reply's quote: the quoted message, its sender and an excerpt copied at send time. */
export interface MessageReplyInput {
  id: string;
  senderId: string;
  excerpt: string;
}

const iso = (v: Date | string | null | undefined): string | null => (v == null ? null : new Date(v).toISOString());

export function toMessageView(m: MessageRow): MessageView {
  return {
    id: m.id,
    conversationId: m.conversation_id,
    seq: m.seq,
    senderId: m.sender_id,
    clientId: m.client_id,
    body: m.body,
    price: m.price,
    attachment: m.attachment_id ? { mediaId: m.attachment_id, price: m.attachment_price } : null,
    createdAt: m.created_at.toISOString(),
    replyTo: m.reply_to ? { messageId: m.reply_to, senderId: m.reply_sender_id!, excerpt: m.reply_excerpt ?? '' } : null,
    editedAt: iso(m.edited_at),
    deleted: m.deleted_at != null,
    reactions: (m.reactions ?? []).map((r) => ({ emoji: r.emoji, count: r.userIds.length, userIds: r.userIds })),
    changeSeq: Number(m.change_seq ?? 0),
  };
}

/** What unlocking a message's attachment decides on, read under the viewer's membership. */
export interface UnlockState {
  sender_id: string;
  sender_role: string;
  attachment_id: string | null;
  attachment_price: number;
  /** What the viewer paid, if they unlocked it before. */
  unlocked_price: number | null;
}

export interface SendState {
  peer_id: string;
  kind: 'direct' | 'match';
  closed_at: Date | null;
  existing_id: string | null;
  blocked: boolean;
  peer_role: string;
  peer_price: number;
  peer_policy: MessagePolicy;
  /** Whether the sender meets the peer's message policy (see peerPolicySql). */
  policy_allows: boolean;
}

/** Who may message a user: a creator's choice (everyone, followers, subscribers), anyone else's (matches, everyone). */
export type MessagePolicy = 'everyone' | 'followers' | 'subscribers' | 'matches';

/**
 * The peer's message policy and whether the sender meets it, as two SQL columns (`peer_policy`,
 * `policy_allows`) for a statement that has the peer's user_cards row as `u` and left-joins
 * `creator_policies cp` and `dating_consent dc` on the peer. A creator's policy is their
 * creator setting (no setting: everyone). Anyone else is written to only by their matches unless
 * they allow everyone; a creator may also write to their own followers and subscribers, and anyone
 * may answer a peer who wrote to them first in this conversation. `sender`, `peer` and `conv` are
 * SQL expressions.
 *
 * "The peer wrote here" walks the conversation's (conversation_id, seq) index from its first
 * message, with no index of its own (one more index on messages would cost every send): when the
 * peer wrote first, their message is the first row read. A long scan needs a conversation with many
 * messages from the sender and none from the peer, which this rule refuses from the first message
 * on; it happens only when the peer changed their policy to matches-only after such a one-sided
 * conversation, and then each refused (and rate-limited) send reads that conversation once.
 */
export function peerPolicySql(sender: string, peer: string, conv: string): string {
  const policy = `CASE WHEN u.role = 'creator' THEN coalesce(cp.message_policy, 'everyone') ELSE coalesce(dc.who_can_message, 'matches') END`;
  return `${policy} AS peer_policy,
              CASE ${policy}
                WHEN 'everyone' THEN true
                WHEN 'followers' THEN EXISTS (SELECT 1 FROM creator_audience a WHERE a.creator_id = ${peer} AND a.user_id = ${sender})
                WHEN 'subscribers' THEN EXISTS (SELECT 1 FROM creator_audience a WHERE a.creator_id = ${peer} AND a.user_id = ${sender} AND a.tier_rank IS NOT NULL)
                ELSE EXISTS (SELECT 1 FROM mutual_likes x WHERE x.user_low = least(${sender}, ${peer}) AND x.user_high = greatest(${sender}, ${peer}))
                  OR EXISTS (SELECT 1 FROM creator_audience a WHERE a.creator_id = ${sender} AND a.user_id = ${peer})
                  OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = ${conv} AND m.sender_id = ${peer})
              END AS policy_allows`;
}

/** The joins peerPolicySql reads, on the peer's id. */
export const peerPolicyJoins = (peer: string) =>
  `LEFT JOIN creator_policies cp ON cp.user_id = ${peer}
       LEFT JOIN dating_consent dc ON dc.user_id = ${peer}`;

/**
 * The insert lost to a concurrent send with the same clientId (committed first): the send is retried, and replays or conflicts.
 * Messages are partitioned (0042): the violation names the partition's index (messages_p07_conversation_id_sender_id_client_id_key),
 * not the parent's constraint (messages_client_id_key).
 */
export function isClientIdTaken(err: unknown): boolean {
  const e = pgError(err);
  return e?.code === '23505' && e.constraint !== undefined && CLIENT_ID_KEY.test(e.constraint);
}
const CLIENT_ID_KEY = /^messages(_client_id_key|_p\d+_conversation_id_sender_id_client_id_key)$/;

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
  /** coalesce(last_message_at, created_at) as ISO text with microseconds: the list's order and its cursor. */
  sort_at: string;
  read_seq: number;
  delivered_seq: number;
  peer_read_seq: number;
  peer_delivered_seq: number;
  unread: number;
  last_message: MessageRow | null;
  closed: boolean;
}

export class ChatStore {
  constructor(
    private readonly db: Queryable,
    /** Lag-tolerant reads (Database.reader): a replica unless the user just wrote. */
    private readonly reads: (userId?: string) => Queryable = () => db,
  ) {}

  /** The direct conversation of a pair, created with both members on first use; `created` says which. */
  async directConversation(a: string, b: string, q: Queryable = this.db): Promise<{ id: string; created: boolean } | undefined> {
    const [low, high] = a < b ? [a, b] : [b, a];
    const { rows } = await q.query<{ id: string; created: boolean }>(
      `WITH ins AS (
         INSERT INTO conversations (user_low, user_high) VALUES ($1, $2)
         ON CONFLICT (user_low, user_high) WHERE kind = 'direct' DO NOTHING RETURNING id
       ), members AS (
         INSERT INTO conversation_members (conversation_id, user_id, peer_id)
         SELECT id, $1, $2 FROM ins UNION ALL SELECT id, $2, $1 FROM ins
       )
       SELECT id, true AS created FROM ins
       UNION ALL
       SELECT id, false FROM conversations WHERE user_low = $1 AND user_high = $2 AND kind = 'direct'`,
      [low, high],
    );
    return rows[0];
  }

  /**
   * Whether `senderId` may start writing to (or call) `peerId` now: the peer's policy as a send
   * checks it, against the pair's direct conversation while it is open (an unmatch closes it, and
   * what was written before no longer counts). undefined: no such user.
   */
  async mayContact(senderId: string, peerId: string): Promise<{ peer_policy: MessagePolicy; policy_allows: boolean } | undefined> {
    const { rows } = await this.db.query<{ peer_policy: MessagePolicy; policy_allows: boolean }>(
      `SELECT ${peerPolicySql('$1::uuid', '$2::uuid', 'd.id')}
       FROM user_cards u
       ${peerPolicyJoins('u.id')}
       LEFT JOIN conversations d ON d.user_low = least($1::uuid, $2::uuid) AND d.user_high = greatest($1::uuid, $2::uuid) AND d.kind = 'direct' AND d.closed_at IS NULL
       WHERE u.id = $2`,
      [senderId, peerId],
    );
    return rows[0];
  }

  /** A random-match session's conversation, with both members: a new one per session, never reused. */
  async matchConversation(q: Queryable, a: string, b: string): Promise<string> {
    const [low, high] = a < b ? [a, b] : [b, a];
    const { rows } = await q.query<{ id: string }>(
      `WITH c AS (
         INSERT INTO conversations (user_low, user_high, kind) VALUES ($1, $2, 'match') RETURNING id
       ), m AS (
         INSERT INTO conversation_members (conversation_id, user_id, peer_id)
         SELECT id, $1, $2 FROM c UNION ALL SELECT id, $2, $1 FROM c
       )
       SELECT id FROM c`,
      [low, high],
    );
    return rows[0]!.id;
  }

  /** No more messages: the conversation is over (a random-match session ended). */
  async close(q: Queryable, id: string): Promise<void> {
    await q.query(`UPDATE conversations SET closed_at = now() WHERE id = $1`, [id]);
  }

  /** Opens a direct conversation an unmatch closed (the pair matched again). */
  async reopenDirect(q: Queryable, id: string): Promise<void> {
    await q.query(`UPDATE conversations SET closed_at = NULL WHERE id = $1 AND kind = 'direct' AND closed_at IS NOT NULL`, [id]);
  }

  /**
   * Whether `userId` writes to a stranger here: nobody else has written in this conversation yet, it was not
   * opened by a mutual like (profiles' mutual_like_conversations), and neither holds a subscription to the
   * other (creators' creator_audience). Asked only for texts carrying contact details.
   */
  async strangerTo(userId: string, conversationId: string): Promise<boolean> {
    const { rows } = await this.db.query<{ stranger: boolean }>(
      `SELECT NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.sender_id <> $2)
          AND NOT EXISTS (SELECT 1 FROM mutual_like_conversations l WHERE l.conversation_id = c.id)
          AND NOT EXISTS (SELECT 1 FROM creator_audience a
                          WHERE a.tier_rank IS NOT NULL
                            AND ((a.creator_id = c.user_low AND a.user_id = c.user_high) OR (a.creator_id = c.user_high AND a.user_id = c.user_low))) AS stranger
       FROM conversations c WHERE c.id = $1`,
      [conversationId, userId],
    );
    return rows[0]?.stranger ?? true;
  }

  /** Every message of a conversation, oldest first, as a report keeps them. */
  async transcript(q: Queryable, conversationId: string): Promise<unknown[]> {
    const { rows } = await q.query<{ transcript: unknown[] }>(
      `SELECT coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'seq', m.seq, 'senderId', m.sender_id, 'body', m.body, 'attachmentId', m.attachment_id, 'createdAt', m.created_at,
                                 'replyTo', m.reply_to, 'editedAt', m.edited_at, 'deletedAt', m.deleted_at,
                                 -- Earlier versions of an edited message, oldest first: moderation sees what was said before.
                                 'edits', (SELECT coalesce(jsonb_agg(jsonb_build_object('body', e.body, 'editedAt', e.edited_at) ORDER BY e.id), '[]'::jsonb)
                                           FROM message_edits e WHERE e.message_id = m.id)) ORDER BY m.seq), '[]'::jsonb) AS transcript
       FROM messages m WHERE m.conversation_id = $1`,
      [conversationId],
    );
    return rows[0]!.transcript;
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
              (SELECT m.id FROM messages m WHERE m.conversation_id = $1 AND m.sender_id = $2 AND m.client_id = $3) AS existing_id,
              blocked_either_way($2, me.peer_id) AS blocked,
              u.role AS peer_role, u.message_price AS peer_price,
              ${peerPolicySql('$2::uuid', 'me.peer_id', 'c.id')}
       FROM conversations c
       JOIN conversation_members me ON me.conversation_id = c.id AND me.user_id = $2
       JOIN user_cards u ON u.id = me.peer_id
       ${peerPolicyJoins('me.peer_id')}
       WHERE c.id = $1
       FOR UPDATE OF c`,
      [s.conversationId, s.senderId, s.clientId],
    );
    return rows[0];
  }

  /** Keyed by conversation (messages are partitioned by it): one partition's primary key. */
  async messageById(q: Queryable, conversationId: string, id: string): Promise<MessageRow | undefined> {
    const { rows } = await q.query<MessageRow>(`SELECT * FROM messages WHERE conversation_id = $1 AND id = $2`, [conversationId, id]);
    return rows[0];
  }

  /** The sender's message with this clientId in this conversation, if one is stored (the unique key on conversation_id, sender_id, client_id). */
  async messageByClientId(conversationId: string, senderId: string, clientId: string): Promise<MessageRow | undefined> {
    const { rows } = await this.db.query<MessageRow>(`SELECT * FROM messages WHERE conversation_id = $1 AND sender_id = $2 AND client_id = $3`, [
      conversationId,
      senderId,
      clientId,
    ]);
    return rows[0];
  }

  async member(conversationId: string, userId: string): Promise<{ peer_id: string } | undefined> {
    const { rows } = await this.db.query<{ peer_id: string }>(
      `SELECT peer_id FROM conversation_members WHERE conversation_id = $1 AND user_id = $2`,
      [conversationId, userId],
    );
    return rows[0];
  }

  /** A member's peer, whether the conversation has ended, and a block either way: what a typing indicator needs. */
  async signalState(conversationId: string, userId: string): Promise<{ peer_id: string; closed: boolean; blocked: boolean } | undefined> {
    const { rows } = await this.db.query<{ peer_id: string; closed: boolean; blocked: boolean }>(
      `SELECT me.peer_id, c.closed_at IS NOT NULL AS closed,
              blocked_either_way($2, me.peer_id) AS blocked
       FROM conversation_members me JOIN conversations c ON c.id = me.conversation_id
       WHERE me.conversation_id = $1 AND me.user_id = $2`,
      [conversationId, userId],
    );
    return rows[0];
  }

  /** Takes the next sequence number and stores the message; the sender has read everything up to it. */
  async insertMessage(
    q: Queryable,
    m: { id: string; conversationId: string; senderId: string; clientId: string; body: string; price: number; attachment: { mediaId: string; price: number } | null; reply?: MessageReplyInput | null },
  ): Promise<MessageRow> {
    const { rows } = await q.query<MessageRow>(
      `WITH s AS (
         UPDATE conversations SET last_seq = last_seq + 1, last_message_at = now() WHERE id = $2 RETURNING last_seq
       ), me AS (
         UPDATE conversation_members SET read_seq = (SELECT last_seq FROM s), delivered_seq = (SELECT last_seq FROM s)
         WHERE conversation_id = $2 AND user_id = $3
       )
       INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, price, attachment_id, attachment_price, reply_to, reply_sender_id, reply_excerpt)
       SELECT $1, $2, last_seq, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM s
       RETURNING *`,
      [m.id, m.conversationId, m.senderId, m.clientId, m.body, m.price, m.attachment?.mediaId ?? null, m.attachment?.price ?? 0, m.reply?.id ?? null, m.reply?.senderId ?? null, m.reply?.excerpt ?? null],
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

  /**
   * A page of the user's conversations, latest activity first (the last message, or the creation of one
   * without messages). `before` is the previous page's last `sort_at`, kept at PostgreSQL's microsecond
   * precision as text: a JavaScript Date would round it to milliseconds and skip rows inside that millisecond.
   */
  async list(userId: string, before: string | null, limit: number): Promise<ConversationListRow[]> {
    const { rows } = await this.reads(userId).query<ConversationListRow>(
      `SELECT c.id, c.kind, me.peer_id, u.display_name AS peer_name, u.role AS peer_role,
              u.message_price AS peer_message_price, u.call_price_per_minute AS peer_call_price, u.last_seen_at AS peer_last_seen,
              c.last_seq, c.last_message_at, me.read_seq, me.delivered_seq,
              to_char(coalesce(c.last_message_at, c.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS sort_at,
              peer.read_seq AS peer_read_seq, peer.delivered_seq AS peer_delivered_seq, c.closed_at IS NOT NULL AS closed,
              (SELECT count(*)::int FROM messages x WHERE x.conversation_id = c.id AND x.seq > me.read_seq AND x.sender_id <> $1) AS unread,
              -- The newest message I have not deleted for myself (nearly always the one at last_seq).
              (SELECT to_jsonb(x) FROM messages x
               WHERE x.conversation_id = c.id AND x.seq <= c.last_seq
                 AND NOT EXISTS (SELECT 1 FROM message_hidden h WHERE h.user_id = $1 AND h.message_id = x.id)
               ORDER BY x.seq DESC LIMIT 1) AS last_message
       FROM conversation_members me
       JOIN conversations c ON c.id = me.conversation_id
       JOIN conversation_members peer ON peer.conversation_id = c.id AND peer.user_id = me.peer_id
       JOIN user_cards u ON u.id = me.peer_id
       WHERE me.user_id = $1 AND ($2::timestamptz IS NULL OR coalesce(c.last_message_at, c.created_at) < $2)
       ORDER BY coalesce(c.last_message_at, c.created_at) DESC
       LIMIT $3`,
      [userId, before, limit],
    );
    return rows;
  }

  /**
   * One history page of a conversation, nearest the anchor first: ascending
   * from `after`, else descending from `before` (or from the newest). See
   * pageWindow for how the byte budget is applied.
   */
  async history(conversationId: string, userId: string, range: { before?: number; after?: number }, limit: number, maxBytes: number): Promise<MessageRow[]> {
    const forward = range.after !== undefined;
    const dir = forward ? 'ASC' : 'DESC';
    const { rows } = await this.reads(userId).query<MessageRow>(
      pageWindow(
        `SELECT * FROM messages m WHERE conversation_id = $1 AND ${forward ? 'seq > $2' : '($2::bigint IS NULL OR seq < $2)'}
           AND NOT EXISTS (SELECT 1 FROM message_hidden h WHERE h.user_id = $5 AND h.message_id = m.id)
         ORDER BY seq ${dir} LIMIT $3`,
        `seq ${dir}`,
        '$4',
      ),
      [conversationId, forward ? range.after : (range.before ?? null), limit, maxBytes, userId],
    );
    return rows;
  }

  /**
   * One sync page: the user's messages created at or after `from.at`, or
   * strictly after the key `from.after`, oldest first; `at_key` is each
   * row's created_at with microseconds, for the next cursor.
   */
  async since(userId: string, from: { at: Date } | { after: { at: string; conversationId: string; seq: number } }, limit: number, maxBytes: number): Promise<(MessageRow & { at_key: string })[]> {
    const after = 'after' in from;
    const { rows } = await this.db.query<MessageRow & { at_key: string }>(
      pageWindow(
        `SELECT m.*, to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at_key
         FROM conversation_members me
         JOIN messages m ON m.conversation_id = me.conversation_id
         WHERE me.user_id = $1 AND ${after ? '(m.created_at, m.conversation_id, m.seq) > ($3::timestamptz, $4::uuid, $5::bigint)' : 'm.created_at >= $3'}
           AND NOT EXISTS (SELECT 1 FROM message_hidden h WHERE h.user_id = $1 AND h.message_id = m.id)
         ORDER BY m.created_at, m.conversation_id, m.seq LIMIT $2`,
        'created_at, conversation_id, seq',
        after ? '$6' : '$4',
      ),
      after ? [userId, limit, from.after.at, from.after.conversationId, from.after.seq, maxBytes] : [userId, limit, from.at, maxBytes],
    );
    return rows;
  }

  /**
   * Who may see these users' presence: the one definition of "engaged", used
   * by the presence pushes and by the conversation list alike. A viewer sees a
   * peer's presence through a conversation that is still open and in which the
   * viewer has written at least once, that a mutual like opened, or that is a
   * random-match session in progress; never across a block, either way. Opening
   * a conversation alone (POST /api/conversations) shares nothing, and an ended
   * session shares nothing afterwards. `viewerId` narrows it to one viewer.
   * One row per pair, however many conversations they share.
   */
  async presenceAudience(subjectIds: string[], viewerId?: string): Promise<{ subject: string; recipient: string }[]> {
    const { rows } = await this.db.query<{ subject: string; recipient: string }>(
      `WITH engaged AS (
         SELECT m.peer_id AS subject, m.user_id AS viewer
         FROM conversation_members m
         JOIN conversations c ON c.id = m.conversation_id
         WHERE m.peer_id = ANY($1::uuid[]) AND ($2::uuid IS NULL OR m.user_id = $2)
           AND c.closed_at IS NULL
           AND (c.kind = 'match'
                OR EXISTS (SELECT 1 FROM mutual_like_conversations x WHERE x.conversation_id = c.id)
                OR EXISTS (SELECT 1 FROM messages x WHERE x.conversation_id = c.id AND x.sender_id = m.user_id))
         -- Subscriptions (not built yet) join here: UNION ALL the (creator, subscriber) pairs of active
         -- subscriptions, so a subscriber sees the creator's presence without a conversation.
       )
       SELECT DISTINCT e.subject, e.viewer AS recipient
       FROM engaged e
       WHERE NOT blocked_either_way(e.viewer, e.subject)`,
      [subjectIds, viewerId ?? null],
    );
    return rows;
  }

  /**
   * A viewer's access to a media item as an attachment: none unless a message of a conversation they are in
   * carries it; then all of it if any such message is free to them (no price, their own, or unlocked), else its
   * preview. `paysFullPrice`: whether this viewer pays pay-to-view prices at all (fans do).
   */
  async attachmentAccess(viewerId: string, mediaId: string, paysFullPrice: boolean): Promise<'full' | 'preview' | 'none'> {
    const { rows } = await this.db.query<{ seen: boolean; free: boolean }>(
      `SELECT count(*) > 0 AS seen,
              coalesce(bool_or(m.attachment_price = 0 OR NOT $3 OR m.sender_id = $1
                               OR EXISTS (SELECT 1 FROM message_unlocks u WHERE u.message_id = m.id AND u.user_id = $1)), false) AS free
       FROM messages m
       JOIN conversation_members me ON me.conversation_id = m.conversation_id AND me.user_id = $1
       WHERE m.attachment_id = $2`,
      [viewerId, mediaId, paysFullPrice],
    );
    const r = rows[0]!;
    return !r.seen ? 'none' : r.free ? 'full' : 'preview';
  }

  /** Who sent a message, if the viewer is a member of its conversation (a tip on a message goes to its sender). */
  async senderFor(viewerId: string, messageId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ sender_id: string }>(
      `SELECT m.sender_id FROM messages m
       JOIN conversation_members me ON me.conversation_id = m.conversation_id AND me.user_id = $2
       WHERE m.id = $1`,
      [messageId, viewerId],
    );
    return rows[0]?.sender_id;
  }

  /** What an unlock needs to know, if the viewer is a member of the message's conversation. */
  async unlockState(q: Queryable, messageId: string, viewerId: string): Promise<UnlockState | undefined> {
    const { rows } = await q.query<UnlockState>(
      `SELECT m.sender_id, u.role AS sender_role, m.attachment_id, m.attachment_price,
              (SELECT x.price FROM message_unlocks x WHERE x.message_id = m.id AND x.user_id = $2) AS unlocked_price
       FROM messages m
       JOIN conversation_members me ON me.conversation_id = m.conversation_id AND me.user_id = $2
       JOIN user_cards u ON u.id = m.sender_id
       WHERE m.id = $1`,
      [messageId, viewerId],
    );
    return rows[0];
  }

  /** Records an unlock; false when a twin of this unlock committed first (it is then a replay). */
  async recordUnlock(q: Queryable, messageId: string, userId: string, price: number): Promise<boolean> {
    const { rowCount } = await q.query(
      // The unlock carries its message's conversation (the key messages are partitioned and referenced by).
      `INSERT INTO message_unlocks (message_id, conversation_id, user_id, price)
       SELECT id, conversation_id, $2, $3 FROM messages WHERE id = $1
       ON CONFLICT (message_id, user_id) DO NOTHING`,
      [messageId, userId, price],
    );
    return rowCount > 0;
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
}

/**
 * Wraps a page query (ordered, limited) so that rows well past a byte budget
 * never leave the database: a row is kept while the bodies before it in the
 * page's order fit in the budget, and the first two rows always. Bodies are a
 * lower bound of a message's JSON size, so every row the service's exact cut
 * (fitPage) keeps is here, and so is the first row it drops, which tells it
 * there is more.
 */
function pageWindow(page: string, order: string, maxBytesParam: string): string {
  return `SELECT * FROM (
            SELECT p.*, sum(octet_length(p.body)) OVER w - octet_length(p.body) AS bytes_before, row_number() OVER w AS n
            FROM (${page}) p
            WINDOW w AS (ORDER BY ${order} ROWS UNBOUNDED PRECEDING)
          ) x
          WHERE x.bytes_before <= ${maxBytesParam} OR x.n <= 2
          ORDER BY ${order}`;
}
