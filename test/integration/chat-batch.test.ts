import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, http, newUser, waitFor, type ClientSocket } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';
import pg from 'pg';
import { ChatBatchStore, SEND_BATCH_SETTINGS } from '../../server/src/modules/chat/chat.batch.store.js';
import type { Queryable } from '../../server/src/db/database.js';
import { SendBatch, type BatchSendInput, type BatchSendResult } from '../../server/src/modules/chat/chat.send-batch.js';

/**
 * The group commit of free messages (SendBatch) on real PostgreSQL. A batch is made exact by its
 * size: with `maxItems: N` and a window far longer than the test, N submits leave as one batch the
 * moment the Nth arrives, so what the tests say about "one batch" holds without any timing.
 */
let backing: Backing;
let node: InProcessNode;
let url: string;

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({ ...backing.env, CHAT_FLOOD_PER_5S: '1000', CHAT_MESSAGES_PER_10S: '1000' });
  url = node.url;
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await node?.stop();
  await backing?.cleanup();
});

const sockets: ClientSocket[] = [];
const ack = (s: ClientSocket, event: string, payload?: unknown) => (s as any).timeout(5000).emitWithAck(event, payload) as Promise<any>;

/** Where the one-statement batch and decideSend disagreed (each test's batches must never). */
const disagreements: string[] = [];
afterEach(() => {
  expect(disagreements.splice(0)).toEqual([]);
});

/** A batcher whose batches are exactly `size` sends. */
const batchOf = (size: number, store = new ChatBatchStore()) =>
  new SendBatch({ db: node.pairly.db, store, onDisagree: (why) => disagreements.push(why) }, { windowMs: 600_000, maxItems: size, maxConcurrent: 4 });

/** A pair with a conversation opened by one message through Pairly; returns what a batched send needs. */
async function pair(opts: { bRole?: 'creator'; bPrice?: number } = {}) {
  const a = await newUser(url);
  const b = await newUser(url, opts.bRole ? { role: opts.bRole } : {});
  if (opts.bPrice !== undefined) await http(url, 'PATCH', '/api/me', { token: b.accessToken, body: { messagePrice: opts.bPrice } });
  const s = await connect(url, a.accessToken);
  const sb = await connect(url, b.accessToken);
  sockets.push(s, sb);
  // Opened by b: free even when b is a creator who charges a.
  const first = await ack(sb, 'chat:send', { toUserId: a.user.id, clientId: randomUUID(), body: 'opening' });
  expect(first.ok).toBe(true);
  const conversationId: string = first.message.conversationId;
  const from = (who: typeof a, role: string) => (body: string, extra: Partial<BatchSendInput> = {}): BatchSendInput => ({
    senderId: who.user.id,
    senderRole: role,
    conversationId,
    clientId: randomUUID(),
    body,
    ...extra,
  });
  return { a, b, sa: s, sb, conversationId, fromA: from(a, 'fan'), fromB: from(b, opts.bRole ?? 'fan') };
}

const seqsOf = (conversationId: string) =>
  pgQuery<{ seq: number; client_id: string; sender_id: string }>(backing.databaseUrl, 'SELECT seq::int AS seq, client_id, sender_id FROM messages WHERE conversation_id = $1 ORDER BY seq', [conversationId]);

const settled = (ps: Promise<BatchSendResult>[]) => Promise.allSettled(ps);
const codeOf = (r: PromiseSettledResult<BatchSendResult>) => (r.status === 'rejected' ? (r.reason as { code?: string }).code : r.value.priced ? 'priced' : 'ok');

describe('group commit of free messages', () => {
  it('numbers the messages of one batch per conversation in the order they arrived: strictly increasing, no gaps, across concurrent batches', async () => {
    const convs = await Promise.all([pair(), pair(), pair()]);
    const batch = batchOf(12);
    // 48 sends (4 batches of 12, up to 4 committing side by side), both members of each conversation writing.
    const sends = Array.from({ length: 48 }, (_, i) => {
      const c = convs[i % 3]!;
      return (i % 2 ? c.fromA : c.fromB)(`m${i}`);
    });
    const results = await Promise.all(sends.map((s) => batch.submit(s)));
    for (const r of results) expect(r.priced).toBe(false);
    for (const c of convs) {
      const rows = await seqsOf(c.conversationId);
      // The opening message is seq 1; then 16 batched ones, 2..17.
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
      // Within one sender, the order of arrival is the order of the numbers.
      for (const sender of [c.a.user.id, c.b.user.id]) {
        const mine = sends.filter((s) => s.conversationId === c.conversationId && s.senderId === sender).map((s) => s.clientId);
        expect(rows.filter((r) => r.sender_id === sender && mine.includes(r.client_id)).map((r) => r.client_id)).toEqual(mine);
      }
      const [conv] = await pgQuery<{ last_seq: number }>(backing.databaseUrl, 'SELECT last_seq::int AS last_seq FROM conversations WHERE id = $1', [c.conversationId]);
      expect(conv!.last_seq).toBe(17);
      // Each sender has read up to their own newest message.
      const members = await pgQuery<{ user_id: string; read_seq: number }>(backing.databaseUrl, 'SELECT user_id, read_seq::int AS read_seq FROM conversation_members WHERE conversation_id = $1', [c.conversationId]);
      for (const m of members) expect(m.read_seq).toBe(Math.max(...rows.filter((r) => r.sender_id === m.user_id).map((r) => r.seq)));
    }
    // The acked rows are the stored ones.
    for (const [i, r] of results.entries()) if (!r.priced) expect(r.row.client_id).toBe(sends[i]!.clientId);
  });

  it('the same clientId twice in one batch is stored once; the copy is a replay, a different body under it a conflict', async () => {
    const c = await pair();
    const batch = batchOf(4);
    const m = c.fromA('twice');
    const results = await settled([batch.submit(m), batch.submit({ ...m }), batch.submit({ ...m, body: 'not the same' }), batch.submit(c.fromA('other'))]);
    expect(results.map(codeOf)).toEqual(['ok', 'ok', 'IDEMPOTENCY_CONFLICT', 'ok']);
    const [first, copy] = results.map((r) => (r.status === 'fulfilled' && !r.value.priced ? r.value : undefined));
    expect(first!.replayed).toBe(false);
    expect(copy!.replayed).toBe(true);
    expect(copy!.row.id).toBe(first!.row.id);
    expect((await seqsOf(c.conversationId)).map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('a clientId stored by an earlier batch is replayed by a later one, without a hole in the numbering', async () => {
    const c = await pair();
    const m = c.fromA('stored before');
    const [first] = await Promise.all([batchOf(1).submit(m)]);
    const batch = batchOf(3);
    const results = await Promise.all([batch.submit(c.fromA('new 1')), batch.submit({ ...m }), batch.submit(c.fromA('new 2'))]);
    expect(results.map((r) => !r.priced && r.replayed)).toEqual([false, true, false]);
    expect(!results[1]!.priced && !first!.priced && results[1]!.row.id === first!.row.id).toBe(true);
    expect((await seqsOf(c.conversationId)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
  });

  it('a send refused inside a batch (not a member, closed, blocked, a wrong price) refuses only itself', async () => {
    const ok1 = await pair();
    const blocked = await pair();
    const closed = await pair();
    const priced = await pair({ bRole: 'creator', bPrice: 3 });
    expect((await http(url, 'PUT', `/api/blocks/${blocked.a.user.id}`, { token: blocked.b.accessToken })).status).toBe(204);
    await node.pairly.services.chat.closeIn(node.pairly.db, closed.conversationId);
    const stranger = await newUser(url);
    const batch = batchOf(7);
    const results = await settled([
      batch.submit(ok1.fromA('fine 1')),
      batch.submit({ ...ok1.fromA('not mine'), senderId: stranger.user.id }),
      batch.submit(blocked.fromA('blocked')),
      batch.submit(closed.fromA('closed')),
      batch.submit(ok1.fromA('free, but the client showed a price', { expectedPrice: 5 })),
      batch.submit(priced.fromA('a priced one goes back to its own transaction')),
      batch.submit(ok1.fromB('fine 2')),
    ]);
    expect(results.map(codeOf)).toEqual(['ok', 'NOT_FOUND', 'BLOCKED', 'CONVERSATION_CLOSED', 'PRICE_CHANGED', 'priced', 'ok']);
    expect((await seqsOf(ok1.conversationId)).map((r) => r.seq)).toEqual([1, 2, 3]);
    for (const c of [blocked, closed, priced]) expect((await seqsOf(c.conversationId)).map((r) => r.seq)).toEqual([1]);
  });

  it("the one statement stores exactly what decideSend allows: creators' policies, prices either way, shown prices", async () => {
    const fanToFan = await pair();
    const freeCreator = await pair({ bRole: 'creator' });
    const pricedCreator = await pair({ bRole: 'creator', bPrice: 4 });
    const followersOnly = await pair({ bRole: 'creator' });
    const handle = `f${randomUUID().slice(0, 8)}`;
    expect((await http(url, 'PUT', '/api/creator/page', { token: followersOnly.b.accessToken, body: { handle, messagePolicy: 'followers' } })).status).toBe(200);
    const batch = batchOf(11);
    const results = await settled([
      batch.submit(fanToFan.fromA('fan to fan')),
      batch.submit(fanToFan.fromA('fan to fan, a price shown', { expectedPrice: 1 })),
      batch.submit(freeCreator.fromA('fan to a free creator')),
      batch.submit(pricedCreator.fromA('fan to a creator who charges', { expectedPrice: 4 })),
      batch.submit(pricedCreator.fromB('the creator back to the fan')),
      batch.submit(pricedCreator.fromB('the creator, a price shown', { expectedPrice: 4 })),
      batch.submit(followersOnly.fromA('not a follower')),
      batch.submit(followersOnly.fromB('the creator to the fan')),
      batch.submit(fanToFan.fromB('and back')),
      // Any shown price the schema takes (up to 2^53 - 1) is compared, not refused by an int cast in SQL.
      batch.submit(fanToFan.fromA('a shown price past int4', { expectedPrice: 2 ** 31 })),
      batch.submit(pricedCreator.fromA('and past it to a creator', { expectedPrice: Number.MAX_SAFE_INTEGER })),
    ]);
    expect(results.map(codeOf)).toEqual(['ok', 'PRICE_CHANGED', 'ok', 'priced', 'ok', 'PRICE_CHANGED', 'FORBIDDEN', 'ok', 'ok', 'PRICE_CHANGED', 'priced']);
  });

  it('should the statement and decideSend ever disagree, the batch rolls back and goes again in two statements', async () => {
    const p = await pair();
    /** A statement that refuses what decideSend allows: it is told every send showed a price. */
    class Lying extends ChatBatchStore {
      override send(...[q, items]: Parameters<ChatBatchStore['send']>) {
        return super.send(q, items.map((i) => ({ ...i, expectedPrice: 9 })));
      }
    }
    const batch = batchOf(2, new Lying());
    const results = await settled([batch.submit(p.fromA('one')), batch.submit(p.fromB('two'))]);
    expect(results.map(codeOf)).toEqual(['ok', 'ok']);
    expect(disagreements.splice(0)).toEqual(['SQL refused a send that decideSend allows']);
    expect((await seqsOf(p.conversationId)).map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('through the socket: a priced message in a crowd of free ones is charged once at its price; the free ones are not', async () => {
    const c = await pair({ bRole: 'creator', bPrice: 2 });
    const fan = c.sa;
    const { fund } = await import('../support/ledger.js');
    await fund(node.pairly, c.a.user.id, 10);
    const other = await pair();
    const sOther = other.sa;
    const [paid, ...free] = await Promise.all([
      ack(fan, 'chat:send', { conversationId: c.conversationId, clientId: randomUUID(), body: 'paid', expectedPrice: 2 }),
      ...Array.from({ length: 6 }, (_, i) => ack(sOther, 'chat:send', { conversationId: other.conversationId, clientId: randomUUID(), body: `free ${i}` })),
    ]);
    expect(paid).toMatchObject({ ok: true, message: { price: 2 } });
    for (const f of free) expect(f).toMatchObject({ ok: true, message: { price: 0 } });
    const wallet = await http(url, 'GET', '/api/wallet', { token: c.a.accessToken });
    expect(wallet.body.wallet.available).toBe(8);
    expect((await seqsOf(other.conversationId)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});

describe("the send batch's plan", () => {
  it('checks blocks inside its own plan, probes messages twice at most and the message policy once', async () => {
    const c = await pair();
    // One connection that shows every plan it runs, nested statements too (auto_explain at NOTICE).
    const client = new pg.Client({ connectionString: backing.databaseUrl });
    await client.connect();
    const plans: string[] = [];
    client.on('notice', (n) => plans.push(n.message ?? ''));
    const q = { query: (sql: string, params?: unknown[], o?: { name?: string }) => client.query({ text: sql, values: params, name: o?.name }), exec: async (sql: string) => void (await client.query(sql)) } as unknown as Queryable;
    const store = new ChatBatchStore();
    const item = { id: randomUUID(), conversationId: c.conversationId, senderId: c.a.user.id, clientId: randomUUID(), body: 'planned', price: 0, attachment: null, senderRole: 'fan', expectedPrice: null };
    const send = async (items: (typeof item)[]) => {
      await client.query(`BEGIN; ${Object.entries(SEND_BATCH_SETTINGS).map(([k, v]) => `SET LOCAL ${k} = ${v}`).join('; ')}`);
      try {
        return await store.send(q, items);
      } finally {
        await client.query('COMMIT');
      }
    };
    try {
      await client.query(`LOAD 'auto_explain'`);
      await client.query(`SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; SET auto_explain.log_level = notice`);
      const [stored] = await send([item]);
      expect(stored).toMatchObject({ inserted: true, free_ok: true, blocked: false });
      // The same clientId again: the stored message comes back from the one look-up.
      const [replay] = await send([{ ...item, id: randomUUID() }]);
      expect(replay).toMatchObject({ inserted: false, id: stored!.id, seq: stored!.seq, body: 'planned', existing_id: stored!.id });
    } finally {
      await client.end();
    }
    const shown = plans.filter((p) => /chat|WITH i AS/.test(p) && /conversation_members/.test(p));
    expect(shown).toHaveLength(2);
    // A scalar SQL function (blocked_either_way) would show its body as a statement of its own, planned at every run.
    expect(plans.filter((p) => /Query Text: *\n? *SELECT EXISTS \(SELECT 1 FROM blocks/.test(p))).toEqual([]);
    for (const plan of shown) {
      expect(plan).toMatch(/on blocks/);
      // Every reference to messages initialises all its partitions' scans: the clientId look-up and the policy's "the peer wrote here".
      expect(plan.match(/ on messages_p00 /g)?.length).toBeLessThanOrEqual(2);
      expect(plan.match(/ on matches /g)?.length).toBe(1);
      // Each scan of a partition probes it for the batch row's conversation: none reads a partition whole (a Seq Scan, or an
      // index scan with no condition, as a LATERAL join flattened into a join over every partition was planned).
      const lines = plan.split('\n');
      const unprobed = lines.flatMap((line, n) => (/ on messages_p\d+ /.test(line) && !/Index Cond: \(+conversation_id = /.test(lines[n + 1] ?? '') ? [line.trim()] : []));
      expect(unprobed).toEqual([]);
    }
  });
});

describe('coalesced receipts', () => {
  it('many receipts of one member at once: every ack carries the pointer, the peer is told, nothing goes past the last message', async () => {
    const c = await pair();
    const { sa, sb } = c;
    for (let i = 0; i < 4; i++) expect((await ack(sa, 'chat:send', { conversationId: c.conversationId, clientId: randomUUID(), body: `n${i}` })).ok).toBe(true);
    const pushed: number[] = [];
    sa.on('chat:delivered', (p: any) => pushed.push(p.upToSeq));
    const acks = await Promise.all([1, 2, 3, 99, 4, 2].map((n) => ack(sb, 'chat:delivered', { conversationId: c.conversationId, upToSeq: n })));
    for (const a of acks) expect(a.ok).toBe(true);
    // Whatever the batches were, the last answer is the highest pointer, and it stops at the last message.
    await waitFor(() => pushed.includes(5));
    expect(Math.max(...acks.map((a) => a.upToSeq))).toBe(5);
    const read = await ack(sb, 'chat:read', { conversationId: c.conversationId, upToSeq: 3 });
    expect(read).toMatchObject({ ok: true, upToSeq: 3, unread: 2 });
    const stranger = await newUser(url);
    const ss = await connect(url, stranger.accessToken);
    sockets.push(ss);
    expect((await ack(ss, 'chat:delivered', { conversationId: c.conversationId, upToSeq: 1 })).error.code).toBe('NOT_FOUND');
  });

  it("one batch of receipts: a reader at the last message has none unread, one behind has the peer's messages after its pointer counted, a delivery none", async () => {
    const [x, y, z] = await Promise.all([pair(), pair(), pair()]);
    // Each conversation: b's opening message (seq 1), then a, b, a (seqs 2-4).
    for (const c of [x, y, z]) for (const send of [c.fromA, c.fromB, c.fromA]) expect((await ack(send === c.fromA ? c.sa : c.sb, 'chat:send', { conversationId: c.conversationId, clientId: randomUUID(), body: 'm' })).ok).toBe(true);
    const rows = await new ChatBatchStore().advance(node.pairly.db, [
      { conversationId: x.conversationId, userId: x.b.user.id, deliveredTo: 4, readTo: 99 }, // past the last: read to 4, nothing left
      { conversationId: y.conversationId, userId: y.b.user.id, deliveredTo: 4, readTo: 1 }, // behind: b's own send (3) moved its pointer to 3, never back; a's 4 unread
      { conversationId: z.conversationId, userId: z.b.user.id, deliveredTo: 3, readTo: null }, // a delivery: no count
      { conversationId: x.conversationId, userId: z.b.user.id, deliveredTo: 1, readTo: 1 }, // not a member: no row
    ]);
    const of = (c: typeof x) => rows.find((r) => r.conversation_id === c.conversationId);
    expect(rows).toHaveLength(3);
    expect(of(x)).toMatchObject({ read_seq: 4, delivered_seq: 4, unread: 0 });
    expect(of(y)).toMatchObject({ read_seq: 3, delivered_seq: 4, unread: 1 });
    expect(of(z)).toMatchObject({ delivered_seq: 3, unread: null });
    expect(Object.keys(of(x)!).sort()).toEqual(['conversation_id', 'delivered_seq', 'peer_id', 'read_seq', 'unread', 'user_id']);
  });
});

describe('metrics', () => {
  it("the node's /metrics counts its group commits, by batcher: chat sends, receipts and the ledger", async () => {
    /** `pairly_write_batch_items_count` and `_sum` and `pairly_write_batch_seconds_count` of each batcher. */
    const read = async () => {
      const text = (await http<string>(url, 'GET', '/metrics')).body;
      const of = (name: string, batch: string) => Number(new RegExp(`^${name}\\{[^}]*batch="${batch}"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
      return Object.fromEntries(
        ['chat.send', 'chat.receipts', 'ledger'].map((b) => [b, { batches: of('pairly_write_batch_items_count', b), items: of('pairly_write_batch_items_sum', b), timed: of('pairly_write_batch_seconds_count', b) }]),
      );
    };
    const before = await read();
    const c = await pair();
    await Promise.all(Array.from({ length: 3 }, (_, i) => ack(c.sa, 'chat:send', { conversationId: c.conversationId, clientId: randomUUID(), body: `m${i}` })));
    expect((await ack(c.sb, 'chat:delivered', { conversationId: c.conversationId, upToSeq: 4 })).ok).toBe(true);
    const { fund } = await import('../support/ledger.js');
    await fund(node.pairly, c.a.user.id, 5);
    const after = await read();
    // pair() opened the conversation with one send: four sends in all, in one batch or more.
    expect(after['chat.send']!.items - before['chat.send']!.items).toBe(4);
    expect(after['chat.send']!.batches - before['chat.send']!.batches).toBeGreaterThanOrEqual(1);
    expect(after['chat.receipts']!.items - before['chat.receipts']!.items).toBe(1);
    expect(after.ledger!.items - before.ledger!.items).toBe(1);
    for (const b of ['chat.send', 'chat.receipts', 'ledger']) expect(after[b]!.timed).toBe(after[b]!.batches);
  });
});

describe('group commit across nodes', () => {
  it('twins of one clientId in batches of two nodes at once: stored once, the other a replay (in another conversation: a message of its own), numbering without holes', async () => {
    // Two SendBatch instances are two nodes' batchers on the same database.
    for (let round = 0; round < 4; round++) {
      const x = await pair();
      // y: a conversation of x's sender with someone else.
      const z = await newUser(url);
      const yConversation: string = (await ack(x.sa, 'chat:send', { toUserId: z.user.id, clientId: randomUUID(), body: 'opening y' })).message.conversationId;
      const [node1, node2] = [batchOf(2), batchOf(2)];
      const same = x.fromA('twin');
      const inX = await settled([node1.submit(same), node1.submit(x.fromB('filler 1')), node2.submit({ ...same }), node2.submit(x.fromB('filler 2'))]);
      expect(inX.map(codeOf)).toEqual(['ok', 'ok', 'ok', 'ok']);
      const [a1, , a2] = inX.map((r) => (r.status === 'fulfilled' && !r.value.priced ? r.value : undefined));
      expect(a1!.row.id).toBe(a2!.row.id);
      expect([a1!.replayed, a2!.replayed].sort()).toEqual([false, true]);
      expect((await seqsOf(x.conversationId)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);

      const reused = x.fromA('one id, two conversations');
      const across = await settled([node1.submit(reused), node1.submit(x.fromB('filler 3')), node2.submit({ ...reused, conversationId: yConversation }), node2.submit({ ...x.fromA('filler 4'), conversationId: yConversation })]);
      // A clientId is unique per sender within a conversation (migration 0042): one message in each.
      expect([codeOf(across[0]!), codeOf(across[2]!)]).toEqual(['ok', 'ok']);
      expect([codeOf(across[1]!), codeOf(across[3]!)]).toEqual(['ok', 'ok']);
      const xs = (await seqsOf(x.conversationId)).map((r) => r.seq);
      const ys = (await seqsOf(yConversation)).map((r) => r.seq);
      expect(xs).toEqual(Array.from({ length: xs.length }, (_, i) => i + 1));
      expect(ys).toEqual(Array.from({ length: ys.length }, (_, i) => i + 1));
      expect(await pgQuery(backing.databaseUrl, 'SELECT 1 FROM messages WHERE client_id = $1', [reused.clientId])).toHaveLength(2);
    }
  });
});
