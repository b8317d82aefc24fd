import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MessageView } from '../../shared/chat.js';
import { deliveryOf, MessageStore } from '../../web/src/lib/message-store.js';
import { TypingState } from '../../web/src/lib/chat-typing.js';
import { agoText, creditsText, initials, messagePreview, presenceText } from '../../web/src/lib/chat-format.js';

/**
 * The web client's message store: history pages, chat:sync pages, live
 * pushes and acks overlap and arrive in any order; the thread must show each
 * stored message once, by seq, with our optimistic copies replaced by the
 * stored ones whichever source brings them.
 */

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C1 = '10000000-0000-4000-8000-000000000001';
const C2 = '10000000-0000-4000-8000-000000000002';

function msg(conversationId: string, seq: number, senderId = seq % 2 ? A : B, clientId = `client-${conversationId.slice(-1)}-${seq}`): MessageView {
  return {
    id: `id-${conversationId.slice(-1)}-${seq}`,
    conversationId,
    seq,
    senderId,
    clientId,
    body: `message ${seq}`,
    price: 0,
    attachment: null,
    createdAt: new Date(Date.UTC(2026, 0, 1, 12, 0, seq)).toISOString(),
    replyTo: null,
    editedAt: null,
    deleted: false,
    reactions: [],
    changeSeq: 0,
  };
}

const seqs = (s: MessageStore, c: string) => s.thread(c).messages.map((m) => m.seq);

describe('MessageStore', () => {
  it('merges pages and pushes by seq, once each', () => {
    const s = new MessageStore();
    expect(s.ingest([msg(C1, 3), msg(C1, 4)], 'live').map((m) => m.seq)).toEqual([3, 4]);
    expect(s.ingest([msg(C1, 1), msg(C1, 2), msg(C1, 3)], 'sync').map((m) => m.seq)).toEqual([1, 2]);
    s.ingest([msg(C1, 4), msg(C2, 1)], 'live');
    expect(seqs(s, C1)).toEqual([1, 2, 3, 4]);
    expect(seqs(s, C2)).toEqual([1]);
  });

  it('replaces an optimistic send with the stored message, whether the ack or a sync brings it first', () => {
    for (const first of ['ack', 'sync'] as const) {
      const s = new MessageStore();
      s.ingest([msg(C1, 1)], 'history');
      expect(s.addOutgoing({ clientId: 'mine', conversationId: C1, senderId: B, body: 'hi', expectedPrice: 0, createdAt: new Date().toISOString() })).toBe(true);
      expect(s.thread(C1).outgoing.map((o) => o.status)).toEqual(['pending']);
      const stored = msg(C1, 2, B, 'mine');
      s.ingest([stored], first);
      s.ingest([stored], first === 'ack' ? 'sync' : 'ack');
      expect(s.thread(C1).outgoing).toEqual([]);
      expect(seqs(s, C1)).toEqual([1, 2]);
      // A retry of a message already stored adds no second copy.
      expect(s.addOutgoing({ clientId: 'mine', conversationId: C1, senderId: B, body: 'hi', expectedPrice: 0, createdAt: new Date().toISOString() })).toBe(false);
    }
  });

  it('keeps a photo sent without a caption (empty body) until the stored message with its attachment replaces it', () => {
    const s = new MessageStore();
    const attachment = { mediaId: '30000000-0000-4000-8000-000000000001', price: 25 };
    expect(s.addOutgoing({ clientId: 'pic', conversationId: C1, senderId: B, body: '', attachment, expectedPrice: 0, createdAt: new Date().toISOString() })).toBe(true);
    expect(s.thread(C1).outgoing[0]).toMatchObject({ body: '', attachment, status: 'pending' });
    expect(s.resendable().map((o) => o.attachment)).toEqual([attachment]);
    s.ingest([{ ...msg(C1, 1, B, 'pic'), body: '', attachment }], 'ack');
    expect(s.thread(C1).outgoing).toEqual([]);
    expect(s.thread(C1).messages.map((m) => [m.body, m.attachment])).toEqual([['', attachment]]);
  });

  it("does not take another sender's message for our send with the same clientId", () => {
    const s = new MessageStore();
    s.addOutgoing({ clientId: 'same', conversationId: C1, senderId: B, body: 'hi', expectedPrice: 0, createdAt: new Date().toISOString() });
    s.ingest([msg(C1, 1, A, 'same')], 'live');
    expect(s.thread(C1).outgoing.map((o) => o.clientId)).toEqual(['same']);
  });

  it('keeps a failed send with its error, retries it under the same clientId at the newly agreed price, and lists what to resend', () => {
    const s = new MessageStore();
    s.addOutgoing({ clientId: 'x', conversationId: C1, senderId: B, body: 'paid', expectedPrice: 5, createdAt: new Date().toISOString() });
    s.addOutgoing({ clientId: 'y', conversationId: C2, senderId: B, body: 'lost', expectedPrice: 0, createdAt: new Date().toISOString() });
    s.failed(C1, 'x', { code: 'PRICE_CHANGED', message: 'price changed', details: { price: 7 } });
    s.failed(C2, 'y', { code: 'NETWORK', message: 'no answer' });
    expect(s.thread(C1).outgoing[0]).toMatchObject({ status: 'failed', error: { code: 'PRICE_CHANGED' } });
    // A refusal waits for the person; a lost send goes out again by itself.
    expect(s.resendable().map((o) => o.clientId)).toEqual(['y']);
    expect(s.retrying(C1, 'x', 7)).toMatchObject({ clientId: 'x', status: 'pending', expectedPrice: 7, error: undefined });
    s.discard(C2, 'y');
    expect(s.thread(C2).outgoing).toEqual([]);
    expect(s.resendable().map((o) => o.clientId)).toEqual(['x']);
  });

  it('moves pointers forward only, read implying delivered, and shows ticks from them', () => {
    const s = new MessageStore();
    s.pointer(C1, A, 'delivered', 3);
    s.pointer(C1, A, 'delivered', 2);
    expect(s.thread(C1).pointers.get(A)).toEqual({ delivered: 3, read: 0 });
    s.pointer(C1, A, 'read', 5);
    expect(s.thread(C1).pointers.get(A)).toEqual({ delivered: 5, read: 5 });
    const p = s.thread(C1).pointers.get(A);
    expect(deliveryOf(msg(C1, 5), p)).toBe('read');
    expect(deliveryOf(msg(C1, 6), p)).toBe('sent');
    expect(deliveryOf(msg(C1, 6), { delivered: 6, read: 5 })).toBe('delivered');
  });

  it('gives the same snapshot until the conversation changes (what useSyncExternalStore needs)', () => {
    const s = new MessageStore();
    let calls = 0;
    s.subscribe(() => calls++);
    s.ingest([msg(C1, 1)], 'live');
    const a = s.thread(C1);
    expect(s.thread(C1)).toBe(a);
    s.ingest([msg(C1, 1)], 'live');
    expect(s.thread(C1)).toBe(a);
    s.ingest([msg(C2, 1)], 'live');
    expect(s.thread(C1)).toBe(a);
    s.ingest([msg(C1, 2)], 'live');
    expect(s.thread(C1)).not.toBe(a);
    // One call per change: C1, C2, C1 again (the duplicate changed nothing).
    expect(calls).toBe(3);
  });

  it('pages history upward and never back down', () => {
    const s = new MessageStore();
    s.historyPage(C1, { messages: [msg(C1, 51), msg(C1, 52)], hasMore: true, before: 51 });
    expect(s.thread(C1).older).toEqual({ hasMore: true, before: 51 });
    s.historyPage(C1, { messages: [msg(C1, 49), msg(C1, 50)], hasMore: true, before: 49 });
    // The newest page fetched again (the thread reopened) leaves the cursor where it was.
    s.historyPage(C1, { messages: [msg(C1, 52), msg(C1, 53)], hasMore: true, before: 52 });
    expect(s.thread(C1).older).toEqual({ hasMore: true, before: 49 });
    s.historyPage(C1, { messages: [msg(C1, 48)], hasMore: false, before: null });
    s.historyPage(C1, { messages: [msg(C1, 53)], hasMore: true, before: 53 });
    expect(s.thread(C1).older).toEqual({ hasMore: false, before: null });
    expect(seqs(s, C1)).toEqual([48, 49, 50, 51, 52, 53]);
  });

  it('moves the sync point only by what arrives while in sync', () => {
    const s = new MessageStore();
    expect(s.syncSince()).toBeUndefined();
    s.ingest([msg(C1, 2)], 'sync');
    s.synced();
    s.ingest([msg(C1, 5)], 'live');
    expect(s.syncSince()).toBe(msg(C1, 5).createdAt);
    s.connectionLost();
    // Reconnected: a push arrives before the sync; messages 6..9 were missed while offline.
    s.ingest([msg(C1, 10)], 'live');
    s.ingest([msg(C2, 3)], 'history');
    expect(s.syncSince()).toBe(msg(C1, 5).createdAt);
    s.ingest([msg(C1, 6), msg(C1, 9)], 'sync');
    s.synced();
    expect(s.syncSince()).toBe(msg(C1, 10).createdAt);
  });
});

describe('MessageStore merging, any order', () => {
  /**
   * The server's messages in two conversations, cut into sync pages (in
   * createdAt order across conversations, as chat:sync pages them) and single
   * pushes; every batch may come more than once and in any order, and some of
   * our own sends are optimistic copies first. The result must be the same:
   * every message once, by seq, with no optimistic copy left.
   */
  const scenario = fc
    .record({
      c1: fc.integer({ min: 0, max: 12 }),
      c2: fc.integer({ min: 0, max: 12 }),
      cuts: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 8 }),
      ownSends: fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }),
    })
    .chain(({ c1, c2, cuts, ownSends }) => {
      const all = [...Array.from({ length: c1 }, (_, i) => msg(C1, i + 1)), ...Array.from({ length: c2 }, (_, i) => msg(C2, i + 1))].sort(
        (x, y) => x.createdAt.localeCompare(y.createdAt) || x.conversationId.localeCompare(y.conversationId) || x.seq - y.seq,
      );
      const pages: { messages: MessageView[]; source: 'sync' | 'live' | 'history' | 'ack' }[] = [];
      let at = 0;
      for (let i = 0; at < all.length; i++) {
        const n = cuts[i % cuts.length]!;
        pages.push({ messages: all.slice(at, at + n), source: 'sync' });
        at += n;
      }
      for (const m of all) pages.push({ messages: [m], source: m.senderId === B ? 'ack' : 'live' });
      const own = all.filter((m, i) => m.senderId === B && ownSends[i % ownSends.length]);
      return fc.record({
        all: fc.constant(all),
        own: fc.constant(own),
        // Each batch at least once, some twice, in any order.
        events: fc
          .subarray(pages)
          .chain((again) => fc.shuffledSubarray([...pages, ...again], { minLength: pages.length + again.length, maxLength: pages.length + again.length })),
        history: fc.boolean(),
      });
    });

  it('yields every message once, ordered by seq, with the optimistic copies replaced', () => {
    fc.assert(
      fc.property(scenario, ({ all, own, events, history }) => {
        const s = new MessageStore();
        // Our sends are shown before anything is stored.
        for (const m of own) s.addOutgoing({ clientId: m.clientId, conversationId: m.conversationId, senderId: B, body: m.body, expectedPrice: 0, createdAt: m.createdAt });
        for (const e of events) {
          if (history && e.source === 'sync' && e.messages.length > 0 && e.messages.every((m) => m.conversationId === e.messages[0]!.conversationId)) {
            s.historyPage(e.messages[0]!.conversationId, { messages: e.messages, hasMore: true, before: e.messages[0]!.seq });
          } else {
            s.ingest(e.messages, e.source);
          }
        }
        for (const c of [C1, C2]) {
          const t = s.thread(c);
          const expected = all.filter((m) => m.conversationId === c).map((m) => m.id);
          expect(t.messages.map((m) => m.id)).toEqual(expected);
          expect(t.outgoing).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('TypingState', () => {
  it('ends an indicator after expiresInMs unless renewed, and at once when told', async () => {
    let now = 1_000;
    const t = new TypingState(() => now);
    let changes = 0;
    t.subscribe(() => changes++);
    t.set(C1, A, true, 5_000);
    expect(t.typing(C1)).toEqual([A]);
    expect(t.typing(C1, A)).toEqual([]);
    now += 4_000;
    t.set(C1, A, true, 5_000);
    now += 4_000;
    expect(t.typing(C1)).toEqual([A]);
    now += 2_000;
    expect(t.typing(C1)).toEqual([]);
    t.set(C2, B, true, 5_000);
    t.set(C2, B, false, 0);
    expect(t.typing(C2)).toEqual([]);
    expect(changes).toBe(3);
    t.clear();
  });

  it('wakes its listeners when an indicator lapses', async () => {
    const t = new TypingState();
    const lapsed = new Promise<void>((resolve) => t.subscribe(() => t.typing(C1).length === 0 && resolve()));
    t.set(C1, A, true, 30);
    await lapsed;
    expect(t.typing(C1)).toEqual([]);
  });
});

describe('chat words', () => {
  const now = Date.UTC(2026, 4, 10, 12, 0, 0);
  const ago = (ms: number) => new Date(now - ms).toISOString();
  it('says how long ago someone was seen', () => {
    expect(agoText(ago(20_000), now)).toBe('just now');
    expect(agoText(ago(5 * 60_000), now)).toBe('5 min ago');
    expect(agoText(ago(3 * 3_600_000 + 60_000), now)).toBe('3 h ago');
    expect(agoText(ago(30 * 3_600_000), now)).toBe('yesterday');
    expect(agoText(ago(4 * 86_400_000), now)).toBe('4 days ago');
    expect(agoText(ago(40 * 86_400_000), now)).toMatch(/^on /);
    // A clock a little behind the server's never says "in the future".
    expect(agoText(new Date(now + 5_000).toISOString(), now)).toBe('just now');
  });
  it('shows presence only when it is shared', () => {
    expect(presenceText('online', null, now)).toBe('Online');
    expect(presenceText('away', ago(1000), now)).toBe('Away');
    expect(presenceText('offline', ago(5 * 60_000), now)).toBe('Last seen 5 min ago');
    expect(presenceText('offline', null, now)).toBe('Offline');
    expect(presenceText(null, null, now)).toBeNull();
  });
  it('writes credits with their unit and initials for avatars', () => {
    expect(creditsText(1)).toBe('1 credit');
    expect(creditsText(1500)).toMatch(/^1.500 credits$/);
    expect(initials('Ada Lovelace King')).toBe('AK');
    expect(initials('  zoë ')).toBe('Z');
    expect(initials('')).toBe('?');
  });
  it('previews a message in one line: its text, else what it carries', () => {
    const attachment = { mediaId: 'm', price: 0 };
    expect(messagePreview({ body: 'Look!', attachment })).toBe('Look!');
    expect(messagePreview({ body: '', attachment })).toBe('Photo or video');
    expect(messagePreview({ body: '  ', attachment: { mediaId: 'm', price: 30 } })).toBe('Pay-to-view photo or video · 30 credits');
    expect(messagePreview({ body: 'text only', attachment: null })).toBe('text only');
  });
});

describe('reactions, edits and deletes in the store', () => {
  const version = (m: MessageView, changeSeq: number): MessageView => ({ ...m, body: `v${changeSeq}`, changeSeq, editedAt: changeSeq ? m.createdAt : null });

  it('keeps the version with the highest changeSeq whatever order and however often changes arrive', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 20 }), fc.constantFrom<'ingest' | 'apply'>('ingest', 'apply'), (seqs, how) => {
        const store = new MessageStore();
        const base = msg(C1, 1);
        store.ingest([base], 'history');
        for (const n of seqs) {
          if (how === 'ingest') store.ingest([version(base, n)], 'live');
          else store.applyChanges([version(base, n)]);
        }
        const held = store.thread(C1).messages;
        expect(held).toHaveLength(1);
        expect(held[0]!.changeSeq).toBe(Math.max(0, ...seqs));
        expect(held[0]!.body).toBe(Math.max(...seqs) === 0 ? 'message 1' : `v${Math.max(...seqs)}`);
      }),
    );
  });

  it('a change to a message this tab does not hold adds nothing (history brings it as it is)', () => {
    const store = new MessageStore();
    store.ingest([msg(C1, 2)], 'history');
    store.applyChanges([version(msg(C1, 1), 3)]);
    expect(store.thread(C1).messages.map((m) => m.seq)).toEqual([2]);
  });

  it('a message deleted for me is gone and stays gone when a sync or push brings it again', () => {
    const store = new MessageStore();
    store.ingest([msg(C1, 1), msg(C1, 2)], 'history');
    store.hide(C1, msg(C1, 1).id);
    store.ingest([msg(C1, 1)], 'sync');
    store.applyChanges([version(msg(C1, 1), 4)]);
    expect(store.thread(C1).messages.map((m) => m.seq)).toEqual([2]);
  });

  it('a tombstone previews as deleted', () => {
    expect(messagePreview({ body: '', attachment: null, deleted: true })).toBe('This message was deleted');
  });
});
