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

/**
 * decideSend's "a free message, allowed" in SQL, on st (the state) and i (the request): not closed,
 * not blocked, the peer's policy met (direct conversations), no price (a random match's messages never
 * have one; otherwise a fan pays a creator's listed price: priceFor), no priced attachment in a random
 * match, and no other price shown (assertPriceShown with 0).
 */
const FREE_SEND = `st.closed_at IS NULL AND NOT st.blocked
  AND (st.kind <> 'direct' OR st.policy_allows)
  AND (st.kind = 'match' OR NOT (i.sender_role = 'fan' AND st.peer_role = 'creator') OR st.peer_price = 0)
  AND NOT (st.kind = 'match' AND i.attachment_price > 0)
  AND coalesce(i.expected_price, 0) = 0`;

/** A request of ChatBatchStore.send: its state and decision (null columns: not a member) and its message, if stored. */
export type BatchSendRow = { ord: number; free_ok: boolean } & ({ [K in keyof SendState]: SendState[K] | null }) & ({ [K in keyof MessageRow]: MessageRow[K] | null }) & { inserted: boolean | null };

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

/**
 * The messages columns the insert returns, named: its statement is prepared (named), and a prepared
 * statement whose result columns change (`RETURNING *` after a migration adds a column, while this node
 * still runs) fails on every run until the connection is gone.
 */
export const MESSAGE_COLUMNS = [
  'id', 'conversation_id', 'seq', 'sender_id', 'client_id', 'body', 'price', 'created_at', 'attachment_id', 'attachment_price',
  'reply_to', 'reply_sender_id', 'reply_excerpt', 'edited_at', 'deleted_at', 'change_seq', 'changed_at', 'reactions',
];
const messageColumns = (alias?: string) => MESSAGE_COLUMNS.map((c) => (alias ? `${alias}.${c}` : c)).join(', ');

/** The batch's conversations locked in id order (two batches, or a batch and a single send, never wait in a cycle); `i` holds the requests. */
const LOCK_CONVERSATIONS = `SELECT c.id, c.kind, c.closed_at, c.last_seq FROM conversations c
         WHERE c.id IN (SELECT conversation_id FROM i)
         ORDER BY c.id
         FOR UPDATE`;

/**
 * Each request's SendState (as ChatStore.lockForSend reads it), from `i` and the locked conversations `locked`; no row for a
 * sender who is not a member. The message already stored under the request's clientId: its id (`existing_id`), or, for a
 * statement that returns it, the whole row (`existing`), so that one look-up serves both the check and the answer. A
 * correlated subquery, not a LATERAL join: PostgreSQL may flatten a join and plan it as a scan of every partition joined
 * afterwards, which a generic plan made while `messages` was small keeps for good; a subquery is always an index probe.
 */
const sendState = (o: { existingRow: boolean }) => `SELECT i.ord::int AS ord, me.peer_id, l.kind, l.closed_at, l.last_seq,
              (SELECT ${o.existingRow ? 'm' : 'm.id'} FROM messages m WHERE m.conversation_id = i.conversation_id AND m.sender_id = i.sender_id AND m.client_id = i.client_id) AS ${o.existingRow ? 'existing' : 'existing_id'},
              bl.blocked,
              u.role AS peer_role, u.message_price AS peer_price,
              ${peerPolicySql('i.sender_id', 'me.peer_id', 'i.conversation_id')}
       FROM i
       JOIN locked l ON l.id = i.conversation_id
       JOIN conversation_members me ON me.conversation_id = i.conversation_id AND me.user_id = i.sender_id
       JOIN user_cards u ON u.id = me.peer_id
       ${peerPolicyJoins('me.peer_id')}
       CROSS JOIN LATERAL blocks_between(i.sender_id, me.peer_id) bl`;

/**
 * Stores the rows of `fresh` (requests with their `seq`) under the conversations' locks: the multi-row insert (`ins`, a
 * (sender, clientId) already stored is skipped), the conversations' last_seq, and each sender's pointers moved to their
 * newest message (member rows locked in key order, as receipts lock them).
 */
const STORE_FRESH = `ins AS (
         INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, price, attachment_id, attachment_price, reply_to, reply_sender_id, reply_excerpt)
         SELECT id, conversation_id, seq, sender_id, client_id, body, price, attachment_id, attachment_price, reply_to, reply_sender_id, reply_excerpt FROM fresh ORDER BY ord
         ON CONFLICT (conversation_id, sender_id, client_id) DO NOTHING
         RETURNING ${messageColumns()}
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
       )`;

/** The insert's requests as parameters $1..$11, unnested in `i` with their place in the batch (`ord`); `more` adds columns from $12 on. */
const insertRequests = (more = '', moreColumns = '') => `SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::int[], $7::uuid[], $8::int[], $9::uuid[], $10::uuid[], $11::text[]${more}) WITH ORDINALITY
           AS t(id, conversation_id, sender_id, client_id, body, price, attachment_id, attachment_price, reply_to, reply_sender_id, reply_excerpt${moreColumns}, ord)`;

const insertParams = (items: BatchInsert[]) => [
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
];

/**
 * The settings of a send batch's transaction (its BEGIN carries them): its two statements are planned
 * once per connection, not at every bind. PostgreSQL keeps re-planning a prepared statement whose
 * generic plan it estimates dearer than a custom one, as these always are: it counts an unnest of
 * array parameters as 100 rows, so the generic plan hash-joins the batch against a sequential scan of
 * every messages partition, where the custom plan, seeing the real few rows, probes the indexes. That
 * custom planning over 16 partitions cost 2.4 ms of PostgreSQL CPU per batch (BENCHMARKS.md). A
 * generic plan without hash or merge joins is the custom plan's shape (nested loops into the indexes,
 * partitions pruned at run time) for any batch (128 sends at most, the Batcher's maxItems).
 */
export const SEND_BATCH_SETTINGS = { plan_cache_mode: 'force_generic_plan', enable_seqscan: 'off', enable_hashjoin: 'off', enable_mergejoin: 'off' };

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
       ), locked AS (${LOCK_CONVERSATIONS})
       ${sendState({ existingRow: false })}`,
      [items.map((i) => i.conversationId), items.map((i) => i.senderId), items.map((i) => i.clientId)],
      { name: 'chat.batch.lock' },
    );
    return rows;
  }

  /**
   * The batch in one statement (one round trip where lock() then insert() take two): locks the
   * batch's conversations in id order, reads each request's state as lock() does, and stores the
   * requests that state makes a free message, as insert() does. Which ones: `FREE_SEND` below, the
   * SQL twin of decideSend's "free and allowed". The caller decides every request again with
   * decideSend on the state returned and, should the two ever disagree, rolls the transaction back and
   * takes lock() and insert(): the TypeScript rules stay the ones that count.
   *
   * One row per request (`ord`): its state (none for a request whose sender is not a member),
   * `free_ok` (whether SQL stored it or would have, were it not a retry), and its message: the one
   * inserted now (`inserted`) or the one already stored under its clientId. `last_seq` comes from
   * the locked row, which in READ COMMITTED is the latest committed version once the lock is granted.
   *
   * Its fixed cost counts most when batches are small (one or two messages at 200 messages/s), and a
   * fifth of it was starting the executor (BENCHMARKS.md, "A send batch's fixed cost"), so: `st` is
   * MATERIALIZED, since `decided` reads it twice and an inlined `st` copies the message policy's
   * subplans into both; a message stored before under the request's clientId is read once, whole,
   * and returned from there (each reference to `messages` starts scans of all its partitions); and
   * blocks are checked by `blocks_between`, which PostgreSQL inlines and plans with the statement.
   */
  async send(q: Queryable, items: (BatchInsert & { senderRole: string; expectedPrice: number | null })[]): Promise<BatchSendRow[]> {
    const { rows } = await q.query<BatchSendRow>(
      `WITH i AS (${insertRequests(', $12::text[], $13::bigint[]', ', sender_role, expected_price')}
       ), locked AS (${LOCK_CONVERSATIONS}
       ), st AS MATERIALIZED (${sendState({ existingRow: true })}
       ), decided AS (
         SELECT st.*, (st.existing).id AS existing_id, (${FREE_SEND}) AS free_ok FROM st JOIN i ON i.ord = st.ord
       ), fresh AS (
         SELECT i.*, d.last_seq + row_number() OVER (PARTITION BY i.conversation_id ORDER BY i.ord) AS seq
         FROM i JOIN decided d ON d.ord = i.ord
         WHERE d.free_ok AND d.existing_id IS NULL
       ), ${STORE_FRESH}
       SELECT i.ord::int AS ord, d.peer_id, d.kind, d.closed_at, d.existing_id, d.blocked, d.peer_role, d.peer_price, d.peer_policy, d.policy_allows,
              coalesce(d.free_ok, false) AS free_ok, msg.*
       FROM i
       LEFT JOIN decided d ON d.ord = i.ord
       LEFT JOIN LATERAL (
         SELECT ins.*, true AS inserted FROM ins WHERE ins.id = i.id
         UNION ALL
         SELECT ${messageColumns('(d.existing)')}, false WHERE d.existing_id IS NOT NULL
       ) msg ON true`,
      [...insertParams(items), items.map((i) => i.senderRole), items.map((i) => i.expectedPrice)],
      { name: 'chat.batch.send' },
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
      `WITH i AS (${insertRequests()}
       ), fresh AS (
         SELECT i.*, c.last_seq + row_number() OVER (PARTITION BY i.conversation_id ORDER BY i.ord) AS seq
         FROM i JOIN conversations c ON c.id = i.conversation_id
         WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = i.conversation_id AND m.sender_id = i.sender_id AND m.client_id = i.client_id)
       ), ${STORE_FRESH}
       SELECT ins.*, true AS inserted FROM ins
       UNION ALL
       SELECT ${messageColumns('m')}, false FROM i JOIN messages m ON m.conversation_id = i.conversation_id AND m.sender_id = i.sender_id AND m.client_id = i.client_id`,
      insertParams(items),
      { name: 'chat.batch.insert' },
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
      { name: 'chat.batch.advance' },
    );
    return rows;
  }
}
