import type { Notify } from '../notifications/notifications.service.js';
import { randomUUID } from 'node:crypto';
import { REPLY_EXCERPT_LENGTH, type MessageView } from '../../../../shared/chat.js';
import type { MediaView } from '../../../../shared/media.js';
import type { Database, Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { consumeAll, type Charge } from '../../ratelimit.js';
import type { PointLimiter } from '../../realtime/synced-limiter.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { MediaAccess, MediaService } from '../media/media.service.js';
import type { Viewer } from '../media/media.views.js';
import type { SafetyStore } from '../safety/safety.store.js';
import type { UsersStore } from '../users/users.store.js';
import { assertPriceShown, priceFor } from '../../prices.js';
import type { BatcherOptions, WriteBatchObserver } from '../../batcher.js';
import type { ChatBatchStore } from './chat.batch.store.js';
import { ChatMassStore, type MassDelivery } from './chat.mass.store.js';
import type { ChatChangesStore } from './chat.changes.store.js';
import type { TextModeration } from './chat.changes.js';
import { decodeSyncCursor, encodeSyncCursor, fitPage } from './chat.pages.js';
import { ReceiptBatch, type Advanced } from './chat.receipts.js';
import { assertPolicyAllows, decideSend, replayOf, SendBatch } from './chat.send-batch.js';
import { isClientIdTaken, toMessageView, type ChatStore, type ConversationListRow, type MessageReplyInput, type MessageRow } from './chat.store.js';

export interface SendInput {
  clientId: string;
  body: string;
  /** A ready media item of the sender's (kind message_attachment); price > 0: pay-to-view, creators only. */
  attachment?: { mediaId: string; price: number };
  /** The price the client showed; absent: it showed "free". */
  expectedPrice?: number;
  /** A message of the same conversation this one answers. */
  replyTo?: string;
}

export interface Sender {
  userId: string;
  role: 'fan' | 'creator' | 'admin';
  socketId?: string;
}

/**
 * One-to-one messages. A free message joins the node's group commit
 * (SendBatch: the sends of a short window in one transaction); a priced one
 * (or a pay-to-view attachment) is one transaction of its own. Either way the
 * conversation row is locked (ordering sends), a retry with the same clientId
 * returns the stored message, a priced message is charged by a ledger
 * transfer keyed by the message (only at the price the client showed), and
 * the ack and pushes go out only after the commit. Receipts are coalesced
 * the same way (ReceiptBatch).
 */
export class ChatService {
  private readonly batch: SendBatch;
  private readonly receipts: ReceiptBatch;
  private readonly mass = new ChatMassStore();

  constructor(
    private readonly d: {
      db: Database;
      store: ChatStore;
      safety: SafetyStore;
      users: UsersStore;
      ledger: LedgerService;
      /** Attachments: the sender's ready item, and the unlocked view handed back. */
      media: Pick<MediaService, 'requireOwned' | 'get'>;
      realtime: Realtime;
      limits: { perUser: PointLimiter; perConversation: PointLimiter };
      /** A sync or history page stops at about this many bytes of JSON. */
      pageMaxBytes: number;
      /** After a message is stored (not a replay): the node's counters and analytics' per-sender count. */
      onMessage?: (senderId: string) => void;
      batchStore: ChatBatchStore;
      /** The group commit's window, batch size and concurrent flushes (sends and receipts alike). */
      batching?: BatcherOptions;
      /** Told of each group commit of sends and of receipts (metrics: pairly_write_batch_*). */
      observeBatch?: WriteBatchObserver;
      /** Refuses a creator who may not sell yet (verification's hook, bound late): VERIFICATION_REQUIRED. */
      paidContent?: (creatorId: string) => Promise<void>;
      /** Replies' quotes, sync's changes and search. */
      changes: ChatChangesStore;
      /** Trust and safety's step for a new message's text (ChatChanges.edit calls the same one). */
      moderate?: TextModeration;
      /** A message to a recipient with no connected device (checked in presence, after the ack: no database work for online ones). */
      notify?: Notify;
      /** The one-statement send batch and decideSend disagreed on a request (a bug in one of them; the batch went the two-statement way). */
      onRulesDisagree?: (why: string) => void;
    },
  ) {
    const observe = d.observeBatch;
    // Eager: on a quiet node a send or receipt commits at once, not after the 2 ms window (BENCHMARKS.md, "Eager batches").
    const observed = (batch: string): BatcherOptions => ({ eager: true, ...d.batching, observe: observe && ((items, seconds) => observe(batch, items, seconds)) });
    this.batch = new SendBatch({ db: d.db, store: d.batchStore, onDisagree: d.onRulesDisagree }, observed('chat.send'));
    this.receipts = new ReceiptBatch({ db: d.db, store: d.batchStore, onAdvanced: (a) => this.pushReceipt(a) }, observed('chat.receipts'));
  }

  /**
   * Mass messages' delivery, inside the caller's transaction: each recipient's copy in their direct
   * conversation with the sender (opened if missing), in a few statements for the whole batch. No block,
   * policy or price check: the caller chose the recipients (the sender's own audience, blocks excluded)
   * and the copies are free to receive. Push them with pushDelivered after the commit.
   */
  async deliverManyIn(tx: Queryable, d: MassDelivery): Promise<{ recipientId: string; message: MessageView }[]> {
    const rows = await this.mass.deliver(tx, d);
    return rows.map(({ recipient_id, ...row }) => ({ recipientId: recipient_id, message: toMessageView(row) }));
  }

  /**
   * The usual new-message push for copies committed by deliverManyIn: one publish per recipient's room,
   * all issued in the same tick and none awaited, so the auto-pipelined Redis client sends a batch's worth
   * in one write (no round trip per fan), and the sharded adapter hands each only to a node where that fan
   * is connected. They stay out of the admins' messages-per-second counter (one Redis call per message).
   */
  pushDelivered(delivered: { recipientId: string; message: MessageView }[]): void {
    for (const d of delivered) this.d.realtime.toUsers([d.recipientId], 'chat:message', d.message);
  }

  async openConversation(userId: string, otherId: string): Promise<{ id: string; created: boolean }> {
    if (userId === otherId) throw new AppError('VALIDATION_FAILED', 'you cannot message yourself');
    const other = await this.d.users.findById(otherId);
    if (!other || other.status !== 'active') throw new AppError('NOT_FOUND', 'no such user');
    if (await this.d.safety.blockedEitherWay(userId, otherId)) throw new AppError('BLOCKED', 'you cannot message this user');
    await this.assertConsent(userId, otherId);
    for (let attempt = 0; attempt < 3; attempt++) {
      const c = await this.d.store.directConversation(userId, otherId);
      if (c) return c;
    }
    throw new AppError('INTERNAL', 'could not open the conversation');
  }

  /**
   * Refuses with MATCH_REQUIRED when `otherId` takes messages and calls only from their matches and
   * `userId` is not one (nor their creator, nor someone they wrote to first): what opening a
   * conversation and starting a call check. A creator's followers/subscribers policy is a send's
   * check (the conversation may be opened to see it).
   */
  async assertConsent(userId: string, otherId: string): Promise<void> {
    const policy = await this.d.store.mayContact(userId, otherId);
    if (policy?.peer_policy === 'matches') assertPolicyAllows(policy);
  }

  /** The pair's direct conversation for a new match, inside the caller's transaction: opened again if an unmatch had closed it. */
  async openMatchedIn(tx: Queryable, a: string, b: string): Promise<string | undefined> {
    const c = await this.d.store.directConversation(a, b, tx);
    if (c && !c.created) await this.d.store.reopenDirect(tx, c.id);
    return c?.id;
  }

  /** Whether `userId` may open a conversation with or call `otherId` now (see assertConsent). */
  async mayStart(userId: string, otherId: string): Promise<boolean> {
    const policy = await this.d.store.mayContact(userId, otherId);
    return policy?.peer_policy !== 'matches' || policy.policy_allows;
  }

  /** A random-match session's own conversation, inside the caller's transaction that records the session. */
  async openMatchIn(tx: Queryable, a: string, b: string): Promise<string> {
    return this.d.store.matchConversation(tx, a, b);
  }

  /** Ends a conversation (its random-match session ended), inside the caller's transaction. */
  async closeIn(tx: Queryable, conversationId: string): Promise<void> {
    await this.d.store.close(tx, conversationId);
  }

  /** Every message of the conversation, for a report that keeps them. */
  async transcript(conversationId: string, q: Queryable = this.d.db): Promise<unknown[]> {
    return this.d.store.transcript(q, conversationId);
  }

  /** Who may see these users' presence (see ChatStore.presenceAudience): what presence pushes to. */
  presenceAudience(subjectIds: string[], viewerId?: string): Promise<{ subject: string; recipient: string }[]> {
    return this.d.store.presenceAudience(subjectIds, viewerId);
  }

  async send(sender: Sender, input: SendInput & { conversationId?: string; toUserId?: string }): Promise<{ message: MessageView; replayed: boolean }> {
    const conversationId = input.conversationId ?? (await this.openConversation(sender.userId, input.toUserId!)).id;
    if (input.attachment) {
      if (input.attachment.price > 0 && sender.role !== 'creator') throw new AppError('FORBIDDEN', 'only creators can send pay-to-view attachments');
      if (input.attachment.price > 0) await this.d.paidContent?.(sender.userId);
      // Checked before the limits and the transaction; deleting it meanwhile leaves a message whose attachment is gone, as deleting it later would.
      await this.d.media.requireOwned(sender.userId, input.attachment.mediaId, ['message_attachment']);
    }
    // The quote is copied now and kept with the reply, whatever happens to the quoted message later.
    let reply: MessageReplyInput | undefined;
    if (input.replyTo) {
      const t = await this.d.changes.replyTarget(conversationId, input.replyTo, sender.userId, REPLY_EXCERPT_LENGTH);
      if (!t) throw new AppError('NOT_FOUND', 'the message you reply to is not in this conversation');
      if (t.deleted) throw new AppError('MESSAGE_DELETED', 'the message you reply to was deleted');
      reply = { id: input.replyTo, senderId: t.sender_id, excerpt: t.excerpt };
    }
    // Before the limits: a refused text is not a message and costs none of them. A retry is checked again and
    // masks to the same text, so the replay check below still sees its twin.
    if (this.d.moderate) input = { ...input, body: await this.d.moderate({ userId: sender.userId, conversationId, body: input.body, ref: input.clientId }) };
    // The limits count messages, not attempts. A send's transaction already recognises a retry of a stored
    // message and gives its points back; only when the limit refuses do we look the clientId up, so a
    // retry after an outage is answered, never RATE_LIMITED, without a read on every send.
    let charge: Charge;
    try {
      // Membership is checked in the transaction.
      charge = await consumeAll([
        { limiter: this.d.limits.perUser, key: sender.userId, message: 'you are sending messages too fast' },
        { limiter: this.d.limits.perConversation, key: `${sender.userId}:${conversationId}`, message: 'too many messages in this conversation; slow down' },
      ]);
    } catch (err) {
      const stored = err instanceof AppError && err.code === 'RATE_LIMITED' && (await this.d.store.messageByClientId(conversationId, sender.userId, input.clientId));
      if (stored) return { message: toMessageView(replayOf(stored, { ...input, conversationId })), replayed: true };
      throw err;
    }
    let result: { row: MessageRow; replayed: boolean; peerId: string };
    try {
      result = await this.store(sender, conversationId, input, reply);
    } catch (err) {
      // Nothing was stored (database down, PRICE_CHANGED, INSUFFICIENT_CREDITS...): the attempt costs nothing.
      await charge.refund();
      throw err;
    }
    // A twin of this send committed first and this attempt replayed it: one message, one charge.
    if (result.replayed) await charge.refund();

    const message = toMessageView(result.row);
    if (!result.replayed) {
      this.d.realtime.toUsers([result.peerId, sender.userId], 'chat:message', message, { exceptSocketId: sender.socketId });
      // The sender paid and the recipient earned: both see it live.
      if (result.row.price > 0) this.d.ledger.notify([sender.userId, result.peerId]);
      this.d.notify?.notifyLater(result.peerId, { kind: 'message', subject: conversationId, payload: { actorId: sender.userId, link: `/chats/${conversationId}` }, ifOffline: true });
      this.d.onMessage?.(sender.userId);
    }
    return { message, replayed: result.replayed };
  }

  /** A free message goes through the group commit; what it finds priced comes back to its own transaction. */
  private async store(sender: Sender, conversationId: string, input: SendInput, reply?: MessageReplyInput): Promise<{ row: MessageRow; replayed: boolean; peerId: string }> {
    if ((input.attachment?.price ?? 0) === 0) {
      const r = await this.batch.submit({
        senderId: sender.userId,
        senderRole: sender.role,
        conversationId,
        clientId: input.clientId,
        body: input.body,
        ...(input.attachment ? { attachment: input.attachment } : {}),
        ...(input.expectedPrice !== undefined ? { expectedPrice: input.expectedPrice } : {}),
        ...(reply ? { reply } : {}),
      });
      if (!r.priced) return r;
    }
    return this.sendOnce(sender, conversationId, input, reply);
  }

  /**
   * A twin of this send (a retry racing the original, from any node) may commit first: the second
   * attempt then sees it and replays it, or refuses a different message under the same clientId.
   */
  private async sendOnce(sender: Sender, conversationId: string, input: SendInput, reply?: MessageReplyInput): Promise<{ row: MessageRow; replayed: boolean; peerId: string }> {
    try {
      return await this.sendIn(sender, conversationId, input, reply);
    } catch (err) {
      if (!isClientIdTaken(err)) throw err;
      return this.sendIn(sender, conversationId, input, reply);
    }
  }

  /** One attempt at a send, in one transaction under the conversation's lock. */
  private sendIn(sender: Sender, conversationId: string, input: SendInput, reply?: MessageReplyInput): Promise<{ row: MessageRow; replayed: boolean; peerId: string }> {
    const id = randomUUID();
    return this.d.db.transaction(async (tx) => {
      // One round trip under the conversation's lock decides the send (a retry, closed, blocked, the price).
      const state = await this.d.store.lockForSend(tx, { conversationId, senderId: sender.userId, clientId: input.clientId });
      if (!state) throw new AppError('NOT_FOUND', 'no such conversation');
      const peerId = state.peer_id;
      if (state.existing_id) {
        const existing = (await this.d.store.messageById(tx, conversationId, state.existing_id))!;
        return { row: replayOf(existing, { ...input, conversationId }), replayed: true, peerId };
      }
      const price = decideSend(state, sender.role, input);
      assertPriceShown(input.expectedPrice, price);
      const row = await this.d.store.insertMessage(tx, {
        id,
        conversationId,
        senderId: sender.userId,
        clientId: input.clientId,
        body: input.body,
        price,
        attachment: input.attachment ?? null,
        reply: reply ?? null,
      });
      if (price > 0) {
        await this.d.ledger.spend({ key: `msg:${id}`, fromUserId: sender.userId, toUserId: peerId, amount: price, kind: 'message', metadata: { messageId: id, conversationId } }, tx);
      }
      return { row, replayed: false, peerId };
    });
  }

  /**
   * Pay to see a message's pay-to-view attachment, at the price the client showed (the viewer's price: fans pay
   * it, creators and admins see it free). Once per viewer and message: the ledger key `unlock:<message>:<viewer>`
   * and the unlock row are written in one transaction, and a repeat (or a twin racing it) is a replay that
   * charges nothing. Unlocking what is already free to the viewer charges nothing and needs no price.
   */
  async unlock(viewer: Viewer, messageId: string, expectedPrice: number | undefined): Promise<{ media: MediaView; charged: number; replayed: boolean }> {
    const result = await this.d.db.transaction(async (tx) => {
      const s = await this.d.store.unlockState(tx, messageId, viewer.userId);
      if (!s) throw new AppError('NOT_FOUND', 'no such message');
      if (!s.attachment_id) throw new AppError('NOT_FOUND', 'this message has no attachment');
      if (s.unlocked_price !== null) return { mediaId: s.attachment_id, senderId: s.sender_id, charged: s.unlocked_price, replayed: true };
      const price = s.sender_id === viewer.userId ? 0 : priceFor(viewer.role, s.sender_role, s.attachment_price);
      assertPriceShown(expectedPrice, price);
      if (price === 0) return { mediaId: s.attachment_id, senderId: s.sender_id, charged: 0, replayed: false };
      if (!(await this.d.store.recordUnlock(tx, messageId, viewer.userId, price))) {
        return { mediaId: s.attachment_id, senderId: s.sender_id, charged: price, replayed: true };
      }
      await this.d.ledger.spend(
        { key: `unlock:${messageId}:${viewer.userId}`, fromUserId: viewer.userId, toUserId: s.sender_id, amount: price, kind: 'unlock', metadata: { messageId, mediaId: s.attachment_id } },
        tx,
      );
      return { mediaId: s.attachment_id, senderId: s.sender_id, charged: price, replayed: false };
    });
    if (!result.replayed && result.charged > 0) this.d.ledger.notify([viewer.userId, result.senderId]);
    return { media: await this.d.media.get(viewer, result.mediaId), charged: result.charged, replayed: result.replayed };
  }

  /** The media module's read rule for attachments (see ChatStore.attachmentAccess); fans pay pay-to-view prices, nobody else does. */
  attachmentAccess(viewer: Viewer, mediaId: string): Promise<MediaAccess> {
    return this.d.store.attachmentAccess(viewer.userId, mediaId, priceFor(viewer.role, 'creator', 1) > 0);
  }

  /** The sender of a message the viewer can see (in one of their conversations); undefined otherwise. */
  messageSender(viewerId: string, messageId: string): Promise<string | undefined> {
    return this.d.store.senderFor(viewerId, messageId);
  }

  /** Receipts are coalesced per member and window (ReceiptBatch); the peer hears of each window's pointers once. */
  async delivered(userId: string, conversationId: string, upToSeq: number): Promise<{ upToSeq: number }> {
    const r = await this.receipts.submit({ userId, conversationId, upToSeq, read: false });
    return { upToSeq: r.delivered_seq };
  }

  async read(userId: string, conversationId: string, upToSeq: number, socketId?: string): Promise<{ upToSeq: number; unread: number }> {
    const r = await this.receipts.submit({ userId, conversationId, upToSeq, read: true, ...(socketId ? { socketId } : {}) });
    return { upToSeq: r.read_seq, unread: r.unread ?? 0 };
  }

  private pushReceipt({ row, delivered, read, readSocketId }: Advanced): void {
    const { conversation_id: conversationId, user_id: userId } = row;
    if (delivered) this.d.realtime.toUsers([row.peer_id], 'chat:delivered', { conversationId, userId, upToSeq: row.delivered_seq });
    // The reader's other devices clear their unread badge too.
    if (read) this.d.realtime.toUsers([row.peer_id, userId], 'chat:read', { conversationId, userId, upToSeq: row.read_seq }, readSocketId ? { exceptSocketId: readSocketId } : {});
  }

  /**
   * Sync after a reconnect: from `since` (the newest createdAt the client
   * holds) with a look-back of 30 s, which covers transactions that committed
   * after a later one began (clients dedupe by id); then page by page with
   * `cursor: next`, strictly after the last message sent, so every page moves
   * on however many messages share a moment. Pages are bounded in bytes too.
   */
  async sync(
    userId: string,
    input: { since?: string; cursor?: string; changesCursor?: string },
    limit: number,
  ): Promise<{ messages: MessageView[]; hasMore: boolean; next: string | null; changes: MessageView[]; changesHasMore: boolean; changesNext: string | null; hidden: { conversationId: string; messageId: string }[] }> {
    if (input.changesCursor) {
      // Only the next page of changes (a device that was away through more than one page of them).
      const changed = await this.d.changes.changedSince(userId, { after: decodeSyncCursor(input.changesCursor) }, limit + 1);
      const changes = fitPage(changed.map(toMessageView), limit, this.d.pageMaxBytes);
      const lastChange = changed[changes.length - 1];
      return {
        messages: [],
        hasMore: false,
        next: null,
        changes,
        changesHasMore: changed.length > changes.length,
        changesNext: lastChange ? encodeSyncCursor({ at: lastChange.change_key, conversationId: lastChange.conversation_id, seq: Number(lastChange.change_seq) }) : input.changesCursor,
        hidden: [],
      };
    }
    const from = input.cursor
      ? { after: decodeSyncCursor(input.cursor) }
      : { at: input.since ? new Date(new Date(input.since).getTime() - 30_000) : new Date(Date.now() - 86_400_000) };
    // The first page also brings what changed since then (reactions, edits, deletes) and what this user hid
    // elsewhere; the same look-back covers changes that committed after a later one began.
    const at = 'at' in from ? from.at : undefined;
    const [rows, changed, hidden] = await Promise.all([
      this.d.store.since(userId, from, limit + 1, this.d.pageMaxBytes),
      at ? this.d.changes.changedSince(userId, { at }, limit + 1) : Promise.resolve([]),
      at ? this.d.changes.hiddenSince(userId, at, 1000) : Promise.resolve([]),
    ]);
    const page = fitPage(rows.map(toMessageView), limit, this.d.pageMaxBytes);
    const changes = fitPage(changed.map(toMessageView), limit, this.d.pageMaxBytes);
    const last = rows[page.length - 1];
    const lastChange = changed[changes.length - 1];
    return {
      messages: page,
      hasMore: rows.length > page.length,
      next: last ? encodeSyncCursor({ at: last.at_key, conversationId: last.conversation_id, seq: last.seq }) : (input.cursor ?? null),
      changes,
      changesHasMore: changed.length > changes.length,
      changesNext: lastChange ? encodeSyncCursor({ at: lastChange.change_key, conversationId: lastChange.conversation_id, seq: Number(lastChange.change_seq) }) : null,
      hidden,
    };
  }

  /** Full text over the user's conversations (or one of them), newest first; deleted and hidden messages are not found. */
  async search(userId: string, query: string, conversationId: string | undefined, limit: number): Promise<{ messages: MessageView[] }> {
    if (conversationId && !(await this.d.store.member(conversationId, userId))) throw new AppError('NOT_FOUND', 'no such conversation');
    const rows = await this.d.changes.search(userId, query, conversationId ?? null, limit);
    return { messages: rows.map(toMessageView) };
  }

  async list(userId: string, before: string | null, limit: number): Promise<ConversationListRow[]> {
    return this.d.store.list(userId, before, limit);
  }

  /** A page of one conversation, oldest first; `next` is the query for the page beyond it, in the same direction. */
  async history(
    userId: string,
    conversationId: string,
    range: { before?: number; after?: number },
    limit: number,
  ): Promise<{ messages: MessageView[]; hasMore: boolean; next: { before: number } | { after: number } | null }> {
    if (!(await this.d.store.member(conversationId, userId))) throw new AppError('NOT_FOUND', 'no such conversation');
    const rows = await this.d.store.history(conversationId, userId, range, limit + 1, this.d.pageMaxBytes);
    // Rows come nearest the anchor first, so the cut keeps the messages next to it.
    const page = fitPage(rows.map(toMessageView), limit, this.d.pageMaxBytes);
    const hasMore = rows.length > page.length;
    const forward = range.after !== undefined;
    if (!forward) page.reverse();
    const next = !hasMore ? null : forward ? { after: page.at(-1)!.seq } : { before: page[0]!.seq };
    return { messages: page, hasMore, next };
  }

  /** The peer a typing indicator may reach now: a member's peer, unless the conversation has ended or a block stands either way. */
  async typingPeer(userId: string, conversationId: string): Promise<string> {
    const s = await this.d.store.signalState(conversationId, userId);
    if (!s) throw new AppError('NOT_FOUND', 'no such conversation');
    if (s.closed) throw new AppError('CONVERSATION_CLOSED', 'this conversation has ended');
    if (s.blocked) throw new AppError('BLOCKED', 'you cannot message this user');
    return s.peer_id;
  }

  /** A message as a report keeps it (what it says and said before any edit), if the reporter can see it. */
  async reportSnapshot(reporterId: string, messageId: string): Promise<{ reportedId: string; content: Record<string, unknown> }> {
    const m: MessageRow | undefined = await this.d.store.messageForReport(messageId, reporterId);
    if (!m) throw new AppError('NOT_FOUND', 'no such message');
    if (m.sender_id === reporterId) throw new AppError('VALIDATION_FAILED', 'you cannot report your own message');
    if (m.deleted_at) throw new AppError('MESSAGE_DELETED', 'this message was deleted');
    const edits = await this.d.changes.edits(this.d.db, messageId);
    return { reportedId: m.sender_id, content: { conversationId: m.conversation_id, body: m.body, edits, sentAt: m.created_at } };
  }
}
