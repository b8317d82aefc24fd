import { useCallback, useEffect, useRef, useSyncExternalStore } from 'react';
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { MessageAttachment, MessageReply, MessageView } from '../../../shared/chat.js';
import type { PriceChanged } from '../../../shared/prices.js';
import { api, ApiError } from './api.js';
import { errorText } from './error-text.js';
import { keys } from './queries.js';
import { useSession } from './session.js';
import { emit, useSocket, useSocketEvent, type PairlySocket } from './socket.js';
import { MessageStore, type OutgoingMessage, type ThreadSnapshot } from './message-store.js';
import { TypingState } from './chat-typing.js';
import type { ConversationItem, ConversationPage } from './chat-types.js';
import { CONVERSATION_PAGE, keepOlderPages } from './conversation-pages.js';

/**
 * The chat, kept live for the whole app: one message store and one typing
 * state per signed-in person, the conversation list in the query cache, and
 * `useChatLive` (mounted once, by the Chats badge in the layout) that feeds
 * them from the pushes, runs chat:sync after every (re)connect, answers new
 * messages with delivery receipts and sends again what did not go out.
 *
 *   connect ──► chat:sync {since} ─► {cursor: next} … until hasMore is false
 *                   │ merge into the store, delivered receipts, list refreshed
 *                   └─► resend pending / lost sends (same clientId: the server dedupes)
 */

let current: { userId: string; store: MessageStore; typing: TypingState } | null = null;

/** This person's chat state; a new, empty one when another person signs in. */
export function chatStateFor(userId: string): { store: MessageStore; typing: TypingState } {
  if (current?.userId !== userId) {
    current?.typing.clear();
    current = { userId, store: new MessageStore(), typing: new TypingState() };
  }
  return current;
}

export function useChatState(): { store: MessageStore; typing: TypingState; me: string } {
  const { user } = useSession();
  const me = user?.id ?? '';
  return { ...chatStateFor(me), me };
}

/** One conversation's messages and outgoing sends, re-rendering when they change. */
export function useThreadSnapshot(conversationId: string): ThreadSnapshot {
  const { store } = useChatState();
  const subscribe = useCallback((l: () => void) => store.subscribe(l), [store]);
  return useSyncExternalStore(subscribe, () => store.thread(conversationId));
}

/** Who (other than me) is typing in a conversation now. */
export function useTyping(conversationId: string): string[] {
  const { typing, me } = useChatState();
  const subscribe = useCallback((l: () => void) => typing.subscribe(l), [typing]);
  useSyncExternalStore(subscribe, () => typing.snapshot());
  return typing.typing(conversationId, me);
}

// --- The conversation list in the query cache ------------------------------

export function useConversations() {
  const { user } = useSession();
  const qc = useQueryClient();
  return useQuery({
    queryKey: keys.conversations,
    queryFn: async () => keepOlderPages(await api<ConversationPage>(`/api/conversations?limit=${CONVERSATION_PAGE}`), qc.getQueryData<ConversationPage>(keys.conversations)),
    enabled: user !== null && user.role !== 'admin',
  });
}

/**
 * One conversation's row: from the list, or (a link to an older conversation
 * than the list's first page holds) found by paging the list further.
 */
export function useConversation(id: string): { conversation: ConversationItem | undefined; isLoading: boolean; error: unknown; refetch: () => void } {
  const list = useConversations();
  const inList = list.data?.conversations.find((c) => c.id === id);
  // A list fetched before this thread opened may predate the conversation (a match a moment ago): ask again once.
  const opened = useRef({ id, at: Date.now(), asked: false });
  if (opened.current.id !== id) opened.current = { id, at: Date.now(), asked: false };
  const stale = list.isSuccess && !inList && list.dataUpdatedAt < opened.current.at;
  useEffect(() => {
    if (!stale || list.isFetching || opened.current.asked) return;
    opened.current.asked = true;
    void list.refetch();
  }, [stale, list]);
  const further = useQuery({
    queryKey: [...keys.conversations, 'find', id],
    enabled: list.isSuccess && !inList && !stale && list.data.nextCursor !== null,
    queryFn: async () => {
      let before = list.data?.nextCursor ?? null;
      for (let i = 0; i < 20 && before; i++) {
        const page = await api<ConversationPage>(`/api/conversations?limit=100&before=${encodeURIComponent(before)}`);
        const found = page.conversations.find((c) => c.id === id);
        if (found) return found;
        before = page.nextCursor;
      }
      throw new ApiError('NOT_FOUND', 'no such conversation', 404);
    },
  });
  if (inList) return { conversation: inList, isLoading: false, error: null, refetch: () => void list.refetch() };
  if (stale || list.isFetching) return { conversation: undefined, isLoading: true, error: null, refetch: () => void list.refetch() };
  if (list.isSuccess && list.data.nextCursor === null) {
    return { conversation: undefined, isLoading: false, error: new ApiError('NOT_FOUND', 'no such conversation', 404), refetch: () => void list.refetch() };
  }
  return {
    conversation: further.data,
    isLoading: list.isLoading || further.isLoading,
    error: list.error ?? further.error,
    refetch: () => void (list.error ? list.refetch() : further.refetch()),
  };
}

/** Changes one conversation's row wherever the list holds it; false when the list does not have it. */
export function patchConversation(qc: QueryClient, id: string, fn: (c: ConversationItem) => ConversationItem, toTop = false): boolean {
  let found = false;
  qc.setQueryData<ConversationPage>(keys.conversations, (page) => {
    if (!page) return page;
    const i = page.conversations.findIndex((c) => c.id === id);
    if (i < 0) return page;
    found = true;
    const next = fn(page.conversations[i]!);
    const rest = page.conversations.filter((_, j) => j !== i);
    return { ...page, conversations: toTop ? [next, ...rest] : page.conversations.map((c, j) => (j === i ? next : c)) };
  });
  qc.setQueryData<ConversationItem>([...keys.conversations, 'find', id], (c) => (c ? fn(c) : c));
  return found;
}

/** A stored message reached this tab: the list's preview, order and unread count follow. */
function noteMessage(qc: QueryClient, m: MessageView, me: string): void {
  const found = patchConversation(
    qc,
    m.conversationId,
    (c) => {
      if (m.seq <= c.lastSeq && c.lastMessage) return c;
      const fromPeer = m.senderId !== me;
      return { ...c, lastSeq: Math.max(c.lastSeq, m.seq), lastMessage: m, unread: fromPeer && m.seq > c.readSeq ? c.unread + 1 : c.unread };
    },
    true,
  );
  // A conversation the list does not show yet (a new match, a first message): fetch the list again.
  if (!found) void qc.invalidateQueries({ queryKey: keys.conversations, exact: true });
}

/** A message changed: the list's preview follows when it is the one shown there. */
export function noteChange(qc: QueryClient, m: MessageView): void {
  patchConversation(qc, m.conversationId, (c) => (c.lastMessage?.id === m.id && m.changeSeq > c.lastMessage.changeSeq ? { ...c, lastMessage: m } : c));
}

/** The reader's pointer moved (here or on another of my devices). */
export function noteRead(qc: QueryClient, conversationId: string, upToSeq: number, unread?: number): void {
  patchConversation(qc, conversationId, (c) => {
    const readSeq = Math.max(c.readSeq, upToSeq);
    return { ...c, readSeq, unread: unread ?? (readSeq >= c.lastSeq ? 0 : c.unread) };
  });
}

// --- Sending ----------------------------------------------------------------

/** The latest attempt per clientId: only it may mark the send failed (an older one timing out says nothing). */
const attempts = new Map<string, number>();

export interface SendContext {
  store: MessageStore;
  socket: PairlySocket | null;
  qc: QueryClient;
  me: string;
}

/** Shows the message at once and sends it with a fresh clientId at the price the composer showed. */
export function startSend(ctx: SendContext, input: { conversationId: string; body: string; expectedPrice: number; attachment?: MessageAttachment; replyTo?: MessageReply }): void {
  const clientId = crypto.randomUUID();
  ctx.store.addOutgoing({
    clientId,
    conversationId: input.conversationId,
    senderId: ctx.me,
    body: input.body,
    ...(input.replyTo ? { replyTo: input.replyTo } : {}),
    ...(input.attachment ? { attachment: input.attachment } : {}),
    expectedPrice: input.expectedPrice,
    createdAt: new Date().toISOString(),
  });
  void sendOutgoing(ctx, input.conversationId, clientId);
}

/**
 * (Re)sends an outgoing message under its own clientId, so a send the server
 * already stored is answered with that message and charged once. A new
 * `expectedPrice` is the price the person agreed to after PRICE_CHANGED.
 */
export async function sendOutgoing(ctx: SendContext, conversationId: string, clientId: string, expectedPrice?: number): Promise<void> {
  const o: OutgoingMessage | undefined = ctx.store.retrying(conversationId, clientId, expectedPrice);
  if (!o) return;
  const attempt = (attempts.get(clientId) ?? 0) + 1;
  attempts.set(clientId, attempt);
  try {
    const r = await emit(ctx.socket, 'chat:send', {
      conversationId,
      clientId,
      body: o.body,
      ...(o.attachment ? { attachment: o.attachment } : {}),
      ...(o.replyTo ? { replyTo: o.replyTo.messageId } : {}),
      expectedPrice: o.expectedPrice,
    });
    ctx.store.ingest([r.message], 'ack');
    noteMessage(ctx.qc, r.message, ctx.me);
    attempts.delete(clientId);
  } catch (err) {
    if (attempts.get(clientId) !== attempt) return;
    const e = err instanceof ApiError ? err : new ApiError('INTERNAL', 'send failed', 0);
    ctx.store.failed(conversationId, clientId, { code: e.code, message: errorText(e), details: e.details });
    if (e.code === 'PRICE_CHANGED') {
      const price = (e.details as PriceChanged | undefined)?.price;
      if (typeof price === 'number') patchConversation(ctx.qc, conversationId, (c) => ({ ...c, messagePrice: price }));
    }
  }
}

// --- The app-wide wiring -----------------------------------------------------

async function syncAll(socket: PairlySocket, store: MessageStore): Promise<MessageView[]> {
  const added: MessageView[] = [];
  const since = store.syncSince();
  let page = await emit(socket, 'chat:sync', since ? { since } : {});
  // What changed while away (reactions, edits, deletes) and what I deleted for myself elsewhere.
  const changes = [...page.changes];
  let more = page.changesHasMore ? page.changesNext : null;
  for (const h of page.hidden) store.hide(h.conversationId, h.messageId);
  for (;;) {
    added.push(...store.ingest(page.messages, 'sync'));
    if (!page.hasMore || !page.next) break;
    page = await emit(socket, 'chat:sync', { cursor: page.next });
  }
  // Away through more changes than one page holds: the rest, page by page.
  while (more) {
    const next = await emit(socket, 'chat:sync', { changesCursor: more });
    changes.push(...next.changes);
    more = next.changesHasMore ? next.changesNext : null;
  }
  store.applyChanges(changes);
  store.synced();
  return added;
}

/** Tells the senders their messages reached this device: one receipt per conversation, up to its newest. */
function deliveredReceipts(socket: PairlySocket | null, qc: QueryClient, messages: MessageView[], me: string): void {
  const list = qc.getQueryData<ConversationPage>(keys.conversations)?.conversations;
  const upTo = new Map<string, number>();
  for (const m of messages) {
    if (m.senderId === me) continue;
    // Read already means delivered: no receipt for what the list says was read.
    const readSeq = list?.find((c) => c.id === m.conversationId)?.readSeq ?? 0;
    if (m.seq > readSeq && m.seq > (upTo.get(m.conversationId) ?? 0)) upTo.set(m.conversationId, m.seq);
  }
  // A burst of messages makes one receipt per conversation (socket events are rate limited per second).
  for (const [conversationId, upToSeq] of upTo) receipts.set(conversationId, Math.max(upToSeq, receipts.get(conversationId) ?? 0));
  receiptTimer ??= setTimeout(() => {
    receiptTimer = undefined;
    for (const [conversationId, upToSeq] of receipts) emit(socket, 'chat:delivered', { conversationId, upToSeq }).catch(() => undefined);
    receipts.clear();
  }, 50);
}
const receipts = new Map<string, number>();
let receiptTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Keeps the chat live while someone is signed in: mount exactly once
 * (components/chat-badge.tsx, in the layout).
 */
export function useChatLive(): void {
  const { user } = useSession();
  const { socket, state, generation, catchUp } = useSocket();
  const qc = useQueryClient();
  const me = user?.id ?? '';
  const { store, typing } = chatStateFor(me);
  const enabled = user !== null && user.role !== 'admin';

  useSocketEvent('chat:message', (m) => {
    const added = store.ingest([m], 'live');
    if (m.senderId !== me) typing.set(m.conversationId, m.senderId, false, 0);
    if (!added.length) return;
    noteMessage(qc, m, me);
    deliveredReceipts(socket, qc, added, me);
  });
  useSocketEvent('chat:changed', (m) => {
    store.applyChanges([m]);
    noteChange(qc, m);
  });
  useSocketEvent('chat:hidden', (p) => store.hide(p.conversationId, p.messageId));
  useSocketEvent('chat:delivered', (p) => {
    store.pointer(p.conversationId, p.userId, 'delivered', p.upToSeq);
    if (p.userId !== me) patchConversation(qc, p.conversationId, (c) => ({ ...c, peerDeliveredSeq: Math.max(c.peerDeliveredSeq, p.upToSeq) }));
  });
  useSocketEvent('chat:read', (p) => {
    store.pointer(p.conversationId, p.userId, 'read', p.upToSeq);
    if (p.userId === me) noteRead(qc, p.conversationId, p.upToSeq);
    else patchConversation(qc, p.conversationId, (c) => ({ ...c, peerReadSeq: Math.max(c.peerReadSeq, p.upToSeq), peerDeliveredSeq: Math.max(c.peerDeliveredSeq, p.upToSeq) }));
  });
  useSocketEvent('chat:typing', (p) => {
    if (p.userId !== me) typing.set(p.conversationId, p.userId, p.typing, p.expiresInMs);
  });
  useSocketEvent('presence:update', ({ updates }) => {
    qc.setQueryData<ConversationPage>(keys.conversations, (page) => {
      if (!page) return page;
      const by = new Map(updates.map((u) => [u.userId, u]));
      return {
        ...page,
        conversations: page.conversations.map((c) => {
          const u = by.get(c.peer.id);
          return u ? { ...c, peer: { ...c.peer, presence: u.status, lastSeen: u.lastSeen ?? c.peer.lastSeen } } : c;
        }),
      };
    });
  });
  useSocketEvent('match:mutual', () => {
    void qc.invalidateQueries({ queryKey: keys.conversations, exact: true });
  });

  // Pushes that come after a reconnect must not move the sync point before that reconnect's sync ran.
  useEffect(() => {
    if (!socket) return;
    const lost = () => store.connectionLost();
    socket.on('disconnect', lost);
    return () => {
      socket.off('disconnect', lost);
    };
  }, [socket, store]);

  // After every (re)connect: catch up, tell the senders, refresh the list, send what did not go out.
  useEffect(() => {
    if (!enabled || !socket || state !== 'connected' || catchUp === 0) return;
    let cancelled = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const run = (delay: number) => {
      syncAll(socket, store).then(
        (added) => {
          if (cancelled) return;
          deliveredReceipts(socket, qc, added, me);
          for (const m of added) noteMessage(qc, m, me);
          // Presence may have changed while away; the first connect has a fresh list already.
          if (catchUp > 1) void qc.invalidateQueries({ queryKey: keys.conversations, exact: true });
          for (const o of store.resendable()) void sendOutgoing({ store, socket, qc, me }, o.conversationId, o.clientId);
        },
        (err: unknown) => {
          if (cancelled || (err instanceof ApiError && err.code !== 'NETWORK' && err.code !== 'NOT_READY' && err.code !== 'RATE_LIMITED')) return;
          retry = setTimeout(() => run(Math.min(delay * 2, 30_000)), delay);
        },
      );
    };
    run(1_000);
    return () => {
      cancelled = true;
      clearTimeout(retry);
    };
  }, [enabled, socket, state, catchUp, store, qc, me]);

  // Away while the tab is hidden, online when it is back: what peers see next to the name.
  useEffect(() => {
    if (!enabled || !socket || state !== 'connected') return;
    const tell = () => emit(socket, 'presence:set', { status: document.visibilityState === 'hidden' ? 'away' : 'online' }).catch(() => undefined);
    if (document.visibilityState === 'hidden') void tell();
    document.addEventListener('visibilitychange', tell);
    return () => document.removeEventListener('visibilitychange', tell);
  }, [enabled, socket, state, generation]);
}

/** The unread messages over the conversation list (its first page), for the Chats badge. */
export function useUnreadTotal(): number {
  const list = useConversations();
  return list.data?.conversations.reduce((n, c) => n + c.unread, 0) ?? 0;
}

/** The clock, ticking every `ms` (relative times like "5 min ago" stay true while a page is open). */
export function useNow(ms = 30_000): number {
  const subscribe = useCallback(
    (l: () => void) => {
      const t = setInterval(l, ms);
      return () => clearInterval(t);
    },
    [ms],
  );
  return useSyncExternalStore(subscribe, () => Math.floor(Date.now() / ms) * ms);
}
