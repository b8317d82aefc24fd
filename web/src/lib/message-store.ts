import type { MessageAttachment, MessageReply, MessageView } from '../../../shared/chat.js';

/**
 * The messages this tab knows, per conversation, from every source that
 * brings them: history pages (GET …/messages), chat:sync pages after a
 * (re)connect, live chat:message pushes and the acks of our own sends. The
 * sources overlap and arrive in any order, so everything is merged the same
 * way: a stored message is known by its id and placed by its seq; an
 * optimistic send is known by its clientId until the stored message with
 * that clientId arrives (by ack, push or sync) and takes its place.
 *
 * Pure TypeScript (no React, no DOM): the pages read it through
 * useSyncExternalStore, the unit tests drive it directly.
 */

/** Where a merged batch came from: only what arrives while the tab is in sync moves the sync point. */
export type Source = 'history' | 'sync' | 'live' | 'ack';

/** A send of ours that the server has not stored yet (as far as this tab knows). */
export interface OutgoingMessage {
  clientId: string;
  conversationId: string;
  senderId: string;
  /** May be empty when the message carries an attachment. */
  body: string;
  /** The message this one answers, quoted as the server will store it. */
  replyTo?: MessageReply;
  /** A processed photo or video of the sender's, with its pay-to-view price (0: free). */
  attachment?: MessageAttachment;
  /** The price the composer showed, sent as expectedPrice. */
  expectedPrice: number;
  /** Local time of the first attempt (for display only; the server's time replaces it). */
  createdAt: string;
  /** pending: on its way or waiting for the connection; failed: refused or lost, see `error`. */
  status: 'pending' | 'failed';
  error?: { code: string; message: string; details?: unknown };
}

/** What a tick shows for one message from its sender's side. */
export type Delivery = 'pending' | 'failed' | 'sent' | 'delivered' | 'read';

export interface Pointers {
  delivered: number;
  read: number;
}

/** One conversation as the thread shows it: stored messages by seq, then our outgoing ones. */
export interface ThreadSnapshot {
  conversationId: string;
  messages: readonly MessageView[];
  outgoing: readonly OutgoingMessage[];
  /** Per member: delivered and read up to which seq. */
  pointers: ReadonlyMap<string, Pointers>;
  /** History paging upward: null until the first page came. */
  older: { hasMore: boolean; before: number | null } | null;
}

interface Conversation {
  /** Sorted by seq, one entry per id. */
  messages: MessageView[];
  ids: Set<string>;
  /** senderId + clientId of stored messages, so an outgoing copy is never added for one already stored. */
  clientKeys: Set<string>;
  outgoing: Map<string, OutgoingMessage>;
  /** Deleted for me (here or on another device): never shown again, whatever source brings it. */
  hidden: Set<string>;
  pointers: Map<string, Pointers>;
  older: ThreadSnapshot['older'];
  snapshot: ThreadSnapshot | null;
}

const clientKey = (senderId: string, clientId: string) => `${senderId}\u0000${clientId}`;

export class MessageStore {
  private readonly conversations = new Map<string, Conversation>();
  private readonly listeners = new Set<() => void>();
  /** Where the next chat:sync starts: the newest createdAt received while in sync. */
  private watermark: string | null = null;
  private inSync = false;

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Merges stored messages from any source. Returns the ones that were new
   * here (for delivery receipts and list previews); duplicates are ignored.
   */
  ingest(messages: readonly MessageView[], source: Source): MessageView[] {
    const added: MessageView[] = [];
    const touched = new Set<Conversation>();
    for (const m of messages) {
      if (source === 'sync' || this.inSync) this.advance(m.createdAt);
      const c = this.conversation(m.conversationId);
      // The stored message replaces our optimistic copy, whichever of ack, push or sync brought it.
      if (c.outgoing.get(m.clientId)?.senderId === m.senderId) {
        c.outgoing.delete(m.clientId);
        touched.add(c);
      }
      if (c.hidden.has(m.id)) continue;
      if (c.ids.has(m.id)) {
        if (replaceIfNewer(c.messages, m)) touched.add(c);
        continue;
      }
      insertBySeq(c.messages, m);
      c.ids.add(m.id);
      c.clientKeys.add(clientKey(m.senderId, m.clientId));
      touched.add(c);
      added.push(m);
    }
    this.changed(touched);
    return added;
  }

  /**
   * Reactions, edits and deletes (chat:changed pushes, chat:sync's `changes`, our own acks): each carries the
   * whole message and its changeSeq, and replaces the copy held when newer, so order and repeats do not
   * matter. A message this tab does not hold is left for history to bring as it is now.
   */
  applyChanges(messages: readonly MessageView[]): void {
    const touched = new Set<Conversation>();
    for (const m of messages) {
      const c = this.conversations.get(m.conversationId);
      if (c?.ids.has(m.id) && replaceIfNewer(c.messages, m)) touched.add(c);
    }
    this.changed(touched);
  }

  /** Deleted for me: gone from the thread, here and whatever brings it again. */
  hide(conversationId: string, messageId: string): void {
    const c = this.conversation(conversationId);
    c.hidden.add(messageId);
    const i = c.messages.findIndex((m) => m.id === messageId);
    if (i >= 0) c.messages.splice(i, 1);
    c.ids.delete(messageId);
    this.changed(new Set([c]));
  }

  /** A stored message this tab holds. */
  message(conversationId: string, messageId: string): MessageView | undefined {
    return this.conversations.get(conversationId)?.messages.find((m) => m.id === messageId);
  }

  /**
   * A history page going upward (oldest first) and the `before` of the page
   * beyond it. The cursor only moves up: a fresh copy of the newest page
   * (the thread opened again) does not send paging back down.
   */
  historyPage(conversationId: string, page: { messages: readonly MessageView[]; hasMore: boolean; before: number | null }): MessageView[] {
    const c = this.conversation(conversationId);
    const added = this.ingest(page.messages, 'history');
    const o = c.older;
    const further = !page.hasMore || page.before === null || o?.before == null || page.before < o.before;
    if (o === null || (o.hasMore && further)) {
      c.older = page.hasMore ? { hasMore: true, before: page.before } : { hasMore: false, before: null };
      this.changed(new Set([c]));
    }
    return added;
  }

  /** An optimistic send, shown at once; false when that clientId is already stored or on its way. */
  addOutgoing(o: Omit<OutgoingMessage, 'status' | 'error'>): boolean {
    const c = this.conversation(o.conversationId);
    if (c.clientKeys.has(clientKey(o.senderId, o.clientId)) || c.outgoing.has(o.clientId)) return false;
    c.outgoing.set(o.clientId, { ...o, status: 'pending' });
    this.changed(new Set([c]));
    return true;
  }

  /** A (re)try of an outgoing message starts, possibly at a newly agreed price. */
  retrying(conversationId: string, clientId: string, expectedPrice?: number): OutgoingMessage | undefined {
    const c = this.conversations.get(conversationId);
    const o = c?.outgoing.get(clientId);
    if (!c || !o) return undefined;
    const next: OutgoingMessage = { ...o, status: 'pending', error: undefined, expectedPrice: expectedPrice ?? o.expectedPrice };
    c.outgoing.set(clientId, next);
    this.changed(new Set([c]));
    return next;
  }

  failed(conversationId: string, clientId: string, error: NonNullable<OutgoingMessage['error']>): void {
    const c = this.conversations.get(conversationId);
    const o = c?.outgoing.get(clientId);
    if (!c || !o) return;
    c.outgoing.set(clientId, { ...o, status: 'failed', error });
    this.changed(new Set([c]));
  }

  /** The person gave up on an outgoing message (it was never stored). */
  discard(conversationId: string, clientId: string): void {
    const c = this.conversations.get(conversationId);
    if (c?.outgoing.delete(clientId)) this.changed(new Set([c]));
  }

  /** Every outgoing message that should go out again once the connection is back. */
  resendable(): OutgoingMessage[] {
    const out: OutgoingMessage[] = [];
    for (const c of this.conversations.values()) {
      for (const o of c.outgoing.values()) if (o.status === 'pending' || o.error?.code === 'NETWORK') out.push(o);
    }
    return out;
  }

  /** A member's delivered/read pointer; pointers only move forward, and read implies delivered. */
  pointer(conversationId: string, userId: string, kind: keyof Pointers, upToSeq: number): void {
    const c = this.conversation(conversationId);
    const p = c.pointers.get(userId) ?? { delivered: 0, read: 0 };
    const next = { delivered: Math.max(p.delivered, upToSeq), read: p.read };
    if (kind === 'read') next.read = Math.max(p.read, upToSeq);
    next.delivered = Math.max(next.delivered, next.read);
    if (next.delivered === p.delivered && next.read === p.read && c.pointers.has(userId)) return;
    c.pointers.set(userId, next);
    this.changed(new Set([c]));
  }

  /** The conversation as the thread renders it; the same object until something in it changes. */
  thread(conversationId: string): ThreadSnapshot {
    const c = this.conversation(conversationId);
    c.snapshot ??= {
      conversationId,
      messages: c.messages.slice(),
      outgoing: [...c.outgoing.values()],
      pointers: new Map(c.pointers),
      older: c.older,
    };
    return c.snapshot;
  }

  /** The newest stored seq in a conversation (0: none). */
  lastSeq(conversationId: string): number {
    return this.conversations.get(conversationId)?.messages.at(-1)?.seq ?? 0;
  }

  /** The newest stored message from someone other than `userId` (what a read or delivered receipt covers). */
  lastFromOthers(conversationId: string, userId: string): MessageView | undefined {
    const list = this.conversations.get(conversationId)?.messages ?? [];
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.senderId !== userId) return list[i];
    return undefined;
  }

  // --- The sync point ------------------------------------------------------

  /** Where chat:sync should start (`since`); undefined: never synced (the server then sends the last day). */
  syncSince(): string | undefined {
    return this.watermark ?? undefined;
  }

  /**
   * The connection dropped: pushes that come after the next connect may be
   * newer than messages missed meanwhile, so they must not move the sync point
   * until that connect's sync has run.
   */
  connectionLost(): void {
    this.inSync = false;
  }

  /** A sync ran to its last page: everything up to now is here, including what came live meanwhile. */
  synced(): void {
    this.inSync = true;
    for (const c of this.conversations.values()) {
      for (const m of c.messages) this.advance(m.createdAt);
    }
  }

  private advance(createdAt: string): void {
    if (this.watermark === null || createdAt > this.watermark) this.watermark = createdAt;
  }

  private conversation(id: string): Conversation {
    let c = this.conversations.get(id);
    if (!c) {
      c = { messages: [], ids: new Set(), clientKeys: new Set(), outgoing: new Map(), hidden: new Set(), pointers: new Map(), older: null, snapshot: null };
      this.conversations.set(id, c);
    }
    return c;
  }

  private changed(conversations: Set<Conversation>): void {
    if (conversations.size === 0) return;
    for (const c of conversations) c.snapshot = null;
    for (const l of [...this.listeners]) l();
  }
}

/** Replaces the held copy of a message with a newer change of it (higher changeSeq); false when it is not newer. */
function replaceIfNewer(list: MessageView[], m: MessageView): boolean {
  for (let i = list.length - 1; i >= 0; i--) {
    if (list[i]!.id !== m.id) continue;
    if ((m.changeSeq ?? 0) <= (list[i]!.changeSeq ?? 0)) return false;
    list[i] = m;
    return true;
  }
  return false;
}

/** Inserts by seq (binary search; appends are the common case). */
function insertBySeq(list: MessageView[], m: MessageView): void {
  let lo = 0;
  let hi = list.length;
  if (hi === 0 || list[hi - 1]!.seq < m.seq) {
    list.push(m);
    return;
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.seq < m.seq) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, m);
}

/** What the ticks of one of our messages show, given the peer's pointers. */
export function deliveryOf(message: MessageView, peer: Pointers | undefined): Delivery {
  if (peer && peer.read >= message.seq) return 'read';
  if (peer && peer.delivered >= message.seq) return 'delivered';
  return 'sent';
}
