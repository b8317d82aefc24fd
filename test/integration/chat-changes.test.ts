import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, http, newUser, nextEvent, type ClientSocket } from '../support/client.js';
import { fund } from '../support/ledger.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

/** Reactions, replies, edits, deletes, their sync, and search (issue #20), on real PostgreSQL and Redis. */
let backing: Backing;
let node: InProcessNode;
let url: string;

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({ ...backing.env, CHAT_MESSAGES_PER_10S: '200', CHAT_FLOOD_PER_5S: '100' });
  url = node.url;
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await node?.stop();
  await backing?.cleanup();
});

const ack = (s: ClientSocket, event: string, payload?: unknown) => (s as any).timeout(5000).emitWithAck(event, payload) as Promise<any>;
const send = (s: ClientSocket, p: object) => ack(s, 'chat:send', { clientId: randomUUID(), ...p });
const sockets: ClientSocket[] = [];
const open = async (token: string) => {
  const s = await connect(url, token);
  sockets.push(s);
  return s;
};
const row = async (id: string) => (await pgQuery(backing.databaseUrl, 'SELECT * FROM messages WHERE id = $1', [id]))[0] as any;

async function pair() {
  const a = await newUser(url);
  const b = await newUser(url);
  const sa = await open(a.accessToken);
  const sb = await open(b.accessToken);
  const first = await send(sb, { toUserId: a.user.id, body: 'hello from b' });
  return { a, b, sa, sb, conv: first.message.conversationId as string, msg: first.message };
}

describe('reactions', () => {
  it('a reaction reaches both sides live, counts once however often it is added, and can be removed', async () => {
    const { a, b, sa, sb, conv, msg } = await pair();
    const sb2 = await open(b.accessToken);
    const pushes = Promise.all([nextEvent<any>(sb, 'chat:changed'), nextEvent<any>(sb2, 'chat:changed')]);
    const r = await ack(sa, 'chat:react', { conversationId: conv, messageId: msg.id, emoji: '❤️' });
    expect(r).toMatchObject({ ok: true, changed: true, message: { id: msg.id, reactions: [{ emoji: '❤️', count: 1, userIds: [a.user.id] }] } });
    expect(r.message.changeSeq).toBe(1);
    for (const p of await pushes) expect(p).toMatchObject({ id: msg.id, changeSeq: 1, reactions: [{ emoji: '❤️', count: 1 }] });

    const again = await ack(sa, 'chat:react', { conversationId: conv, messageId: msg.id, emoji: '❤️' });
    expect(again).toMatchObject({ ok: true, changed: false, message: { changeSeq: 1, reactions: [{ emoji: '❤️', count: 1 }] } });
    const both = await ack(sb, 'chat:react', { conversationId: conv, messageId: msg.id, emoji: '❤️' });
    expect(both.message).toMatchObject({ changeSeq: 2, reactions: [{ emoji: '❤️', count: 2, userIds: [a.user.id, b.user.id] }] });
    const off = await ack(sa, 'chat:react', { conversationId: conv, messageId: msg.id, emoji: '❤️', on: false });
    expect(off.message).toMatchObject({ changeSeq: 3, reactions: [{ emoji: '❤️', count: 1, userIds: [b.user.id] }] });
    expect(await pgQuery(backing.databaseUrl, 'SELECT user_id FROM message_reactions WHERE message_id = $1', [msg.id])).toHaveLength(1);
    // History carries them.
    const h = await http(url, 'GET', `/api/conversations/${conv}/messages`, { token: a.accessToken });
    expect(h.body.messages[0]).toMatchObject({ id: msg.id, changeSeq: 3, reactions: [{ emoji: '❤️', count: 1 }] });
  });

  it('refuses an unknown emoji, a message of another conversation and a stranger, changing nothing', async () => {
    const { sa, conv, msg } = await pair();
    const other = await pair();
    expect((await ack(sa, 'chat:react', { conversationId: conv, messageId: msg.id, emoji: '🍕' })).error.code).toBe('VALIDATION_FAILED');
    // The other pair's message, named with my conversation: not found.
    expect((await ack(sa, 'chat:react', { conversationId: conv, messageId: other.msg.id, emoji: '👍' })).error.code).toBe('NOT_FOUND');
    expect((await ack(sa, 'chat:react', { conversationId: other.conv, messageId: other.msg.id, emoji: '👍' })).error.code).toBe('NOT_FOUND');
    expect((await ack(sa, 'chat:react', { conversationId: conv, messageId: 'x', emoji: '👍' })).error.code).toBe('VALIDATION_FAILED');
    expect(await pgQuery(backing.databaseUrl, 'SELECT 1 FROM message_reactions WHERE message_id = ANY($1)', [[msg.id, other.msg.id]])).toHaveLength(0);
    expect(Number((await row(other.msg.id)).change_seq)).toBe(0);
  });
});

describe('the change sequence', () => {
  it('changes racing in one conversation, with sends in between, get distinct numbers 1..N in commit order', async () => {
    const { sa, sb, conv, msg } = await pair();
    const others = await Promise.all(['one', 'two', 'three'].map((body) => send(sa, { conversationId: conv, body })));
    const emoji = ['❤️', '😂', '😮', '😢', '👍', '🔥'] as const;
    const acks = await Promise.all([
      ...emoji.map((e) => ack(sa, 'chat:react', { conversationId: conv, messageId: msg.id, emoji: e })),
      ...others.map((o) => ack(sb, 'chat:react', { conversationId: conv, messageId: o.message.id, emoji: '👍' })),
      ...others.map((o, i) => ack(sa, 'chat:edit', { conversationId: conv, messageId: o.message.id, body: `edited ${i}` })),
      ...Array.from({ length: 4 }, (_, i) => send(sb, { conversationId: conv, body: `between ${i}` })),
    ]);
    for (const a of acks) expect(a.ok).toBe(true);
    const seqs = acks.filter((a) => 'changed' in a).map((a) => a.message.changeSeq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // The message holds its newest change: all six reactions.
    expect((await row(msg.id)).reactions).toHaveLength(6);
    expect(Number((await pgQuery(backing.databaseUrl, 'SELECT change_seq FROM conversations WHERE id = $1', [conv]))[0]!.change_seq)).toBe(12);
  });
});

describe('replies', () => {
  it('quotes a message of the same conversation with an excerpt kept after the original is deleted; never across conversations', async () => {
    const { a, sa, sb, conv, msg } = await pair();
    const long = await send(sb, { conversationId: conv, body: 'x'.repeat(300) });
    const reply = await send(sa, { conversationId: conv, body: 'answer', replyTo: long.message.id });
    expect(reply.message.replyTo).toEqual({ messageId: long.message.id, senderId: long.message.senderId, excerpt: 'x'.repeat(120) });
    const deleted = await ack(sb, 'chat:delete', { conversationId: conv, messageId: long.message.id, scope: 'everyone' });
    expect(deleted.ok).toBe(true);
    const h = await http(url, 'GET', `/api/conversations/${conv}/messages`, { token: a.accessToken });
    expect(h.body.messages.find((m: any) => m.id === reply.message.id).replyTo.excerpt).toBe('x'.repeat(120));
    // Quoting a deleted message, or one of another conversation, stores nothing.
    expect((await send(sa, { conversationId: conv, body: 'to a tombstone', replyTo: long.message.id })).error.code).toBe('MESSAGE_DELETED');
    const other = await pair();
    const count = async () => ((await pgQuery(backing.databaseUrl, 'SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [conv])) as any[])[0].n;
    const before = await count();
    expect((await send(sa, { conversationId: conv, body: 'across', replyTo: other.msg.id })).error.code).toBe('NOT_FOUND');
    expect(await count()).toBe(before);
    expect(msg.replyTo).toBeNull();
  });
});

describe('edits', () => {
  it('the sender edits within the window; the peer sees "edited"; earlier versions are kept; nobody else may edit', async () => {
    const { a, sa, sb, conv, msg } = await pair();
    const push = nextEvent<any>(sa, 'chat:changed');
    const e = await ack(sb, 'chat:edit', { conversationId: conv, messageId: msg.id, body: 'hello from b (fixed)' });
    expect(e).toMatchObject({ ok: true, changed: true, message: { body: 'hello from b (fixed)' } });
    expect(e.message.editedAt).not.toBeNull();
    expect(await push).toMatchObject({ id: msg.id, body: 'hello from b (fixed)', editedAt: e.message.editedAt });
    expect((await ack(sb, 'chat:edit', { conversationId: conv, messageId: msg.id, body: 'hello from b (fixed)' })).changed).toBe(false);
    await ack(sb, 'chat:edit', { conversationId: conv, messageId: msg.id, body: 'third version' });
    const versions = await pgQuery(backing.databaseUrl, 'SELECT body FROM message_edits WHERE message_id = $1 ORDER BY id', [msg.id]);
    expect(versions.map((v: any) => v.body)).toEqual(['hello from b', 'hello from b (fixed)']);

    // A report keeps the earlier versions with the current text.
    const reported = await http(url, 'POST', `/api/messages/${msg.id}/report`, { token: a.accessToken, body: { reason: 'changed what it said' } });
    expect(reported.status).toBe(201);
    const [report] = (await pgQuery(backing.databaseUrl, `SELECT content FROM reports WHERE subject = 'message' AND subject_id = $1`, [msg.id])) as any[];
    expect(report.content.body).toBe('third version');
    expect(report.content.edits.map((e: any) => e.body)).toEqual(['hello from b', 'hello from b (fixed)']);
    expect((await ack(sa, 'chat:edit', { conversationId: conv, messageId: msg.id, body: 'not mine' })).error.code).toBe('FORBIDDEN');
    expect((await ack(sb, 'chat:edit', { conversationId: conv, messageId: msg.id, body: '   ' })).error.code).toBe('VALIDATION_FAILED');
    // Past the window (the message made older in the database): refused, nothing changed.
    await pgQuery(backing.databaseUrl, `UPDATE messages SET created_at = now() - interval '16 minutes' WHERE id = $1`, [msg.id]);
    const late = await ack(sb, 'chat:edit', { conversationId: conv, messageId: msg.id, body: 'too late' });
    expect(late.error.code).toBe('EDIT_WINDOW_CLOSED');
    expect((await row(msg.id)).body).toBe('third version');
  });

  it("editing a priced message charges nothing and keeps its price", async () => {
    const fan = await newUser(url);
    const creator = await newUser(url, { role: 'creator' });
    await http(url, 'PATCH', '/api/me', { token: creator.accessToken, body: { messagePrice: 7 } });
    await fund(node.pairly, fan.user.id, 20);
    const f = await open(fan.accessToken);
    const sent = await send(f, { toUserId: creator.user.id, body: 'paid', expectedPrice: 7 });
    expect(sent.message.price).toBe(7);
    const e = await ack(f, 'chat:edit', { conversationId: sent.message.conversationId, messageId: sent.message.id, body: 'paid, edited' });
    expect(e.message).toMatchObject({ price: 7, body: 'paid, edited' });
    expect((await node.pairly.services.ledger.balance(fan.user.id)).available).toBe(13);
  });
});

describe('deletes', () => {
  it('delete for everyone leaves a tombstone on both sides; twice, by the peer, or past the window is refused', async () => {
    const { sa, sb, conv, msg } = await pair();
    await ack(sa, 'chat:react', { conversationId: conv, messageId: msg.id, emoji: '😂' });
    await ack(sb, 'chat:edit', { conversationId: conv, messageId: msg.id, body: 'edited before delete' });
    expect((await ack(sa, 'chat:delete', { conversationId: conv, messageId: msg.id, scope: 'everyone' })).error.code).toBe('FORBIDDEN');
    // The edit's own push may still be on its way to A: wait for the one that says deleted.
    const push = new Promise<any>((resolve) => {
      const onChanged = (m: any) => {
        if (m.id !== msg.id || !m.deleted) return;
        sa.off('chat:changed', onChanged);
        resolve(m);
      };
      sa.on('chat:changed', onChanged);
    });
    const d = await ack(sb, 'chat:delete', { conversationId: conv, messageId: msg.id, scope: 'everyone' });
    expect(d).toMatchObject({ ok: true, scope: 'everyone', message: { id: msg.id, seq: 1, deleted: true, body: '', reactions: [], attachment: null } });
    expect(await push).toMatchObject({ id: msg.id, deleted: true, body: '' });
    const stored = await row(msg.id);
    expect(stored.body).toBe('');
    expect(await pgQuery(backing.databaseUrl, 'SELECT 1 FROM message_edits WHERE message_id = $1', [msg.id])).toHaveLength(0);
    expect((await ack(sb, 'chat:delete', { conversationId: conv, messageId: msg.id, scope: 'everyone' })).error.code).toBe('MESSAGE_DELETED');
    expect((await ack(sb, 'chat:edit', { conversationId: conv, messageId: msg.id, body: 'back' })).error.code).toBe('MESSAGE_DELETED');
    expect((await ack(sa, 'chat:react', { conversationId: conv, messageId: msg.id, emoji: '👍' })).error.code).toBe('MESSAGE_DELETED');

    const old = await send(sb, { conversationId: conv, body: 'old' });
    await pgQuery(backing.databaseUrl, `UPDATE messages SET created_at = now() - interval '2 hours' WHERE id = $1`, [old.message.id]);
    expect((await ack(sb, 'chat:delete', { conversationId: conv, messageId: old.message.id, scope: 'everyone' })).error.code).toBe('DELETE_WINDOW_CLOSED');
    expect((await row(old.message.id)).body).toBe('old');
  });

  it('delete for me hides a message from my history, sync and search only, and tells my other devices', async () => {
    const { a, b, sa, conv, msg } = await pair();
    const sa2 = await open(a.accessToken);
    const hidden = nextEvent<any>(sa2, 'chat:hidden');
    expect(await ack(sa, 'chat:delete', { conversationId: conv, messageId: msg.id, scope: 'me' })).toMatchObject({ ok: true, scope: 'me', message: null });
    expect(await hidden).toEqual({ conversationId: conv, messageId: msg.id });
    expect((await ack(sa, 'chat:delete', { conversationId: conv, messageId: msg.id, scope: 'me' })).error.code).toBe('MESSAGE_DELETED');
    const mine = await http(url, 'GET', `/api/conversations/${conv}/messages`, { token: a.accessToken });
    expect(mine.body.messages.map((m: any) => m.id)).not.toContain(msg.id);
    // The conversation list no longer previews it for me.
    const list = await http(url, 'GET', '/api/conversations', { token: a.accessToken });
    expect(list.body.conversations.find((c: any) => c.id === conv).lastMessage).toBeNull();
    const theirs = await http(url, 'GET', `/api/conversations/${conv}/messages`, { token: b.accessToken });
    expect(theirs.body.messages.map((m: any) => m.id)).toContain(msg.id);
    const synced = await ack(sa, 'chat:sync', { since: msg.createdAt });
    expect(synced.messages.map((m: any) => m.id)).not.toContain(msg.id);
    expect(synced.hidden).toContainEqual({ conversationId: conv, messageId: msg.id });
    expect((await http(url, 'GET', `/api/messages/search?q=hello`, { token: a.accessToken })).body.messages).toHaveLength(0);
    expect((await http(url, 'GET', `/api/messages/search?q=hello`, { token: b.accessToken })).body.messages.map((m: any) => m.id)).toEqual([msg.id]);
  });
});

describe('sync', () => {
  it('a device that was offline converges: chat:sync brings reactions, edits and tombstones with their changeSeq', async () => {
    const { b, sa, sb, conv, msg } = await pair();
    const second = await send(sb, { conversationId: conv, body: 'second' });
    const third = await send(sb, { conversationId: conv, body: 'third' });
    // B's other device was offline for all of this.
    await ack(sa, 'chat:react', { conversationId: conv, messageId: msg.id, emoji: '🔥' });
    await ack(sb, 'chat:edit', { conversationId: conv, messageId: second.message.id, body: 'second (edited)' });
    await ack(sb, 'chat:delete', { conversationId: conv, messageId: third.message.id, scope: 'everyone' });
    const later = await open(b.accessToken);
    const synced = await ack(later, 'chat:sync', { since: third.message.createdAt });
    const byId = new Map(synced.changes.map((m: any) => [m.id, m]));
    expect(byId.get(msg.id)).toMatchObject({ changeSeq: 1, reactions: [{ emoji: '🔥', count: 1 }] });
    expect(byId.get(second.message.id)).toMatchObject({ changeSeq: 2, body: 'second (edited)' });
    expect(byId.get(third.message.id)).toMatchObject({ changeSeq: 3, deleted: true, body: '' });
    expect(synced.changes.map((m: any) => m.changeSeq)).toEqual([1, 2, 3]);
    expect(synced.changesHasMore).toBe(false);
  });

  it('a device away through more changes than a page holds gets the rest with changesCursor, each once, in order', async () => {
    const { b, sa, sb, conv, msg } = await pair();
    const sent = [msg];
    for (let i = 0; i < 6; i++) sent.push((await send(sb, { conversationId: conv, body: `m${i}` })).message);
    const since = sent[sent.length - 1]!.createdAt;
    // Seven reactions: seven changes, more than a page of three.
    for (const m of sent) await ack(sa, 'chat:react', { conversationId: conv, messageId: m.id, emoji: '👍' });
    const later = await open(b.accessToken);
    const seen: any[] = [];
    let page = await ack(later, 'chat:sync', { since, limit: 3 });
    seen.push(...page.changes);
    expect(page.changesHasMore).toBe(true);
    let rounds = 0;
    while (page.changesHasMore) {
      page = await ack(later, 'chat:sync', { changesCursor: page.changesNext, limit: 3 });
      expect(page.messages).toEqual([]);
      seen.push(...page.changes);
      expect(++rounds).toBeLessThan(5);
    }
    expect(seen.map((m) => m.id)).toEqual(sent.map((m) => m.id));
    expect(seen.map((m) => m.changeSeq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // The last cursor, asked again, has nothing more; a forged one is refused.
    expect((await ack(later, 'chat:sync', { changesCursor: page.changesNext })).changes).toEqual([]);
    expect((await ack(later, 'chat:sync', { changesCursor: 'not-a-cursor' })).error.code).toBe('VALIDATION_FAILED');
    expect((await ack(later, 'chat:sync', { since, changesCursor: page.changesNext })).error.code).toBe('VALIDATION_FAILED');
  });
});

describe('search', () => {
  it('finds words in my conversations only, not deleted messages; a conversation I am not in is 404', async () => {
    const { a, sa, sb, conv } = await pair();
    // Letters only: hex digits could make seven in a row, which the contact rule reads as a phone number.
    const word = `zebra${randomUUID().slice(0, 8).replace(/\d/g, (d) => 'ghijklmnop'.charAt(Number(d)))}`;
    const hit = await send(sb, { conversationId: conv, body: `the ${word} crossed` });
    const gone = await send(sb, { conversationId: conv, body: `another ${word}` });
    expect(hit.ok && gone.ok, JSON.stringify([hit, gone])).toBe(true);
    await ack(sb, 'chat:delete', { conversationId: conv, messageId: gone.message.id, scope: 'everyone' });
    const found = await http(url, 'GET', `/api/messages/search?q=${word}`, { token: a.accessToken });
    expect(found.body.messages.map((m: any) => m.id)).toEqual([hit.message.id]);
    const inConv = await http(url, 'GET', `/api/messages/search?q=${word}&conversationId=${conv}`, { token: a.accessToken });
    expect(inConv.body.messages).toHaveLength(1);
    const stranger = await newUser(url);
    expect((await http(url, 'GET', `/api/messages/search?q=${word}`, { token: stranger.accessToken })).body.messages).toHaveLength(0);
    expect((await http(url, 'GET', `/api/messages/search?q=${word}&conversationId=${conv}`, { token: stranger.accessToken })).status).toBe(404);
    expect((await http(url, 'GET', `/api/messages/search?q=`, { token: a.accessToken })).status).toBe(400);
    void sa;
  });
});
