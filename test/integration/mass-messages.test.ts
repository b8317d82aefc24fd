import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MassMessageProgress, MassMessageView } from '../../shared/mass-messages.js';
import type { MessageView } from '../../shared/chat.js';
import { verifyLedger } from '../../server/src/modules/ledger/ledger.verify.js';
import { MassMessagesService } from '../../server/src/modules/mass-messages/mass-messages.service.js';
import { MassMessagesStore } from '../../server/src/modules/mass-messages/mass-messages.store.js';
import { realtimeOf } from '../../server/src/realtime/io.js';
import { connect, http, newUser, waitFor } from '../support/client.js';
import { fund } from '../support/ledger.js';
import { jpegWithGps, processed, uploadAndConfirm } from '../support/media.js';
import { createBacking, startInProcess, tempDir, type Backing, type InProcessNode } from '../support/pairly.js';

/**
 * Mass messages on real PostgreSQL and Redis, with the in-process workers: who each audience reaches (blocks
 * either way and hand exclusions left out), delivery as ordinary messages with the usual push, exactly once
 * per fan when a batch dies half-way and the job runs again (and when two runs overlap), cancel, a
 * pay-to-view mass message unlocked once at the shown price, and the stats. Batches of 2 here.
 */
let backing: Backing;
let node: InProcessNode;
let url: string;
const data = tempDir('mass-messages');

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({
    ...backing.env,
    RUN_WORKERS: 'true',
    PAIRLY_DATA_DIR: data.path,
    MEDIA_STORAGE: 'local',
    MEDIA_UPLOADS_PER_HOUR: '1000',
    MASS_MESSAGE_BATCH: '2',
    MASS_MESSAGE_PER_SECOND: '0',
  });
  url = node.url;
}, 90_000);
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
  data.remove();
});

type User = Awaited<ReturnType<typeof newUser>>;
const sql = <T = any>(text: string, params: unknown[] = []) => node.pairly.db.query<T & Record<string, unknown>>(text, params).then((r) => r.rows as T[]);
const ack = (s: { timeout(ms: number): unknown }, event: string, payload?: unknown) => (s as any).timeout(5000).emitWithAck(event, payload) as Promise<any>;
const call = (token: string, method: string, path: string, body?: unknown) => http<any>(url, method, path, { token, body });

/** Follows, subscriptions and tips as rows (the creators module's API and prices are creators.test.ts's). */
async function relate(fan: User, creator: User, how: 'follow' | 'tip' | { tier: number; status?: 'active' | 'expired' }): Promise<void> {
  if (how === 'follow') {
    await sql(`INSERT INTO follows (follower_id, creator_id) VALUES ($1, $2)`, [fan.user.id, creator.user.id]);
  } else if (how === 'tip') {
    await sql(`INSERT INTO tips (id, fan_id, creator_id, amount, target, client_id) VALUES ($1, $2, $3, 5, 'creator', $4)`, [randomUUID(), fan.user.id, creator.user.id, randomUUID()]);
  } else {
    await sql(
      `INSERT INTO creator_tiers (id, creator_id, rank, name, price) VALUES ($1, $2, $3, $4, 10)
       ON CONFLICT (creator_id, rank) WHERE archived_at IS NULL DO NOTHING`,
      [randomUUID(), creator.user.id, how.tier, `Tier ${how.tier}`],
    );
    await sql(
      `INSERT INTO subscriptions (id, fan_id, creator_id, tier_id, status, period, months, period_price, current_period_start, current_period_end)
       SELECT $1, $2, $3, t.id, $5, 1, 1, t.price, now() - interval '40 days', now() + CASE WHEN $5 = 'active' THEN interval '30 days' ELSE interval '-10 days' END
       FROM creator_tiers t WHERE t.creator_id = $3 AND t.rank = $4 AND t.archived_at IS NULL`,
      [randomUUID(), fan.user.id, creator.user.id, how.tier, how.status ?? 'active'],
    );
  }
}

async function fans(n: number): Promise<User[]> {
  return Promise.all(Array.from({ length: n }, () => newUser(url)));
}

async function send(creator: User, body: object): Promise<MassMessageView> {
  const r = await call(creator.accessToken, 'POST', '/api/mass-messages', { clientId: randomUUID(), ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.massMessage;
}

async function finished(creator: User, id: string): Promise<MassMessageView> {
  return waitFor(async () => {
    const m = (await call(creator.accessToken, 'GET', `/api/mass-messages/${id}`)).body.massMessage as MassMessageView;
    return m.status === 'done' || m.status === 'cancelled' ? m : undefined;
  }, 20_000, 'the mass message to finish');
}

/** Each fan's copies of messages from the creator (a map fan id → their copies). */
async function copies(creator: User, fanIds: string[]): Promise<Map<string, { body: string; seq: number }[]>> {
  const rows = await sql<{ fan: string; body: string; seq: number }>(
    `SELECT cm.user_id AS fan, m.body, m.seq::int AS seq FROM messages m
     JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id <> m.sender_id
     WHERE m.sender_id = $1 AND cm.user_id = ANY($2::uuid[]) ORDER BY m.seq`,
    [creator.user.id, fanIds],
  );
  const out = new Map<string, { body: string; seq: number }[]>(fanIds.map((f) => [f, []]));
  for (const r of rows) out.get(r.fan)!.push({ body: r.body, seq: r.seq });
  return out;
}

const audienceCount = async (creator: User, audience: object, exclude: string[] = []) =>
  (await call(creator.accessToken, 'POST', '/api/mass-messages/audience', { audience, exclude })).body.count as number;

describe('audiences', () => {
  it('each audience reaches the right fans; blocks either way and hand exclusions are left out; the count matches the delivery', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const [follower, t1, t2, expired, tipper, blocksCreator, blockedByCreator, excluded, stranger] = await fans(9);
    await relate(follower!, creator, 'follow');
    await relate(t1!, creator, { tier: 1 });
    await relate(t2!, creator, { tier: 2 });
    await relate(expired!, creator, { tier: 1, status: 'expired' });
    await relate(tipper!, creator, 'tip');
    for (const f of [blocksCreator!, blockedByCreator!, excluded!]) await relate(f, creator, { tier: 2 });
    await relate(blocksCreator!, creator, 'tip');
    expect((await call(blocksCreator!.accessToken, 'PUT', `/api/blocks/${creator.user.id}`)).status).toBe(204);
    expect((await call(creator.accessToken, 'PUT', `/api/blocks/${blockedByCreator!.user.id}`)).status).toBe(204);
    void stranger;

    const ids = (us: (User | undefined)[]) => us.map((u) => u!.user.id).sort();
    const cases: { audience: object; expected: string[] }[] = [
      { audience: { kind: 'subscribers' }, expected: ids([t1, t2, excluded]) },
      { audience: { kind: 'tier', minTierRank: 2 }, expected: ids([t2, excluded]) },
      { audience: { kind: 'followers' }, expected: ids([follower, t1, t2, excluded]) },
      { audience: { kind: 'expired' }, expected: ids([expired]) },
      { audience: { kind: 'tippers' }, expected: ids([tipper]) },
    ];
    const everyone = ids([follower, t1, t2, expired, tipper, blocksCreator, blockedByCreator, excluded, stranger]);
    for (const c of cases) {
      const exclude = [excluded!.user.id];
      const expected = c.expected.filter((id) => id !== excluded!.user.id);
      expect(await audienceCount(creator, c.audience, exclude), JSON.stringify(c.audience)).toBe(expected.length);
      expect(await audienceCount(creator, c.audience), JSON.stringify(c.audience)).toBe(c.expected.length);
      const body = `to ${JSON.stringify(c.audience)}`;
      const m = await send(creator, { audience: c.audience, exclude, body });
      const done = await finished(creator, m.id);
      expect(done).toMatchObject({ status: 'done', stats: { sent: expected.length, read: 0, unlocked: 0, revenue: 0 } });
      const got = await copies(creator, everyone);
      const reached = [...got].filter(([, ms]) => ms.some((x) => x.body === body)).map(([f]) => f).sort();
      expect(reached, body).toEqual(expected);
    }
  });

  it('only creators send mass messages or count audiences; bad audiences are refused', async () => {
    const fan = (await fans(1))[0]!;
    const creator = await newUser(url, { role: 'creator' });
    expect((await call(fan.accessToken, 'POST', '/api/mass-messages/audience', { audience: { kind: 'followers' } })).body.error.code).toBe('FORBIDDEN');
    expect((await call(fan.accessToken, 'POST', '/api/mass-messages', { clientId: randomUUID(), audience: { kind: 'followers' }, body: 'hi' })).body.error.code).toBe('FORBIDDEN');
    for (const bad of [{ audience: { kind: 'everyone' }, body: 'x' }, { audience: { kind: 'tier', minTierRank: 0 }, body: 'x' }, { audience: { kind: 'followers' }, body: '' }, { audience: { kind: 'followers' }, body: 'x', price: 5 }]) {
      const r = await call(creator.accessToken, 'POST', '/api/mass-messages', { clientId: randomUUID(), ...bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_FAILED');
    }
  });
});

describe('delivery', () => {
  it('arrives as an ordinary message with the usual push and unread count; the creator sees progress to the end; a retried create is the same mass message', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const fs = await fans(5);
    for (const f of fs) await relate(f, creator, 'follow');
    const fanSocket = await connect(url, fs[0]!.accessToken);
    const creatorSocket = await connect(url, creator.accessToken);
    const pushed: MessageView[] = [];
    const progress: MassMessageProgress[] = [];
    fanSocket.on('chat:message', (m: MessageView) => pushed.push(m));
    creatorSocket.on('mass-message:progress', (p: MassMessageProgress) => progress.push(p));
    try {
      const clientId = randomUUID();
      const r = await call(creator.accessToken, 'POST', '/api/mass-messages', { clientId, audience: { kind: 'followers' }, body: 'hello everyone' });
      expect(r.status).toBe(201);
      expect(r.body.massMessage).toMatchObject({ status: 'scheduled', total: 5 });
      const again = await call(creator.accessToken, 'POST', '/api/mass-messages', { clientId, audience: { kind: 'followers' }, body: 'hello everyone' });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ created: false, massMessage: { id: r.body.massMessage.id } });

      await finished(creator, r.body.massMessage.id);
      await waitFor(() => progress.some((p) => p.status === 'done'), 10_000, 'the last progress push');
      const last = progress.at(-1)!;
      expect(last).toEqual({ id: r.body.massMessage.id, status: 'done', sent: 5, total: 5 });
      // Batches of 2: progress after each, never backwards.
      expect(progress.map((p) => p.sent)).toEqual([...progress.map((p) => p.sent)].sort((a, b) => a - b));
      expect(progress.length).toBeGreaterThanOrEqual(3);

      await waitFor(() => pushed.length > 0, 10_000, 'the fan\'s chat:message');
      expect(pushed[0]).toMatchObject({ senderId: creator.user.id, body: 'hello everyone', price: 0, attachment: null });
      const list = await call(fs[0]!.accessToken, 'GET', '/api/conversations');
      const conv = list.body.conversations.find((c: any) => c.peer.id === creator.user.id);
      expect(conv).toMatchObject({ id: pushed[0]!.conversationId, unread: 1, lastMessage: { body: 'hello everyone' } });
      // The conversation is an ordinary one: the fan answers in it.
      const reply = await ack(fanSocket, 'chat:send', { conversationId: conv.id, clientId: randomUUID(), body: 'thanks!' });
      expect(reply, JSON.stringify(reply)).toMatchObject({ ok: true, message: { seq: 2 } });
    } finally {
      fanSocket.close();
      creatorSocket.close();
    }
  });

  it('a batch killed half-way (its transaction dies after writing copies) and the job run again reaches everyone exactly once; so do two overlapping runs', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const fs = await fans(7);
    for (const f of fs) await relate(f, creator, 'follow');
    // A second delivery service on the same database, with a fault in its third batch (after its copies are written).
    let failed = false;
    const store = new MassMessagesStore(node.pairly.db);
    const faulty = new MassMessagesService({
      db: node.pairly.db,
      store,
      chat: node.pairly.services.chat,
      media: node.pairly.services.media,
      realtime: realtimeOf(() => node.pairly.io),
      jobs: { ...node.pairly.jobs.queue, enqueue: async () => {} },
      logger: node.pairly.logger,
      config: { batch: 2, perSecond: 0, sweepSeconds: 60 },
      inBatch: async (_id, n) => {
        if (n === 2 && !failed) {
          failed = true;
          throw new Error('worker killed mid-batch');
        }
      },
    });
    const m = await faulty.create({ userId: creator.user.id, role: 'creator' }, { clientId: randomUUID(), audience: { kind: 'followers' }, exclude: [], body: 'once only', price: 0 });
    await expect(faulty.deliver(m.massMessage.id)).rejects.toThrow('worker killed mid-batch');
    const half = (await call(creator.accessToken, 'GET', `/api/mass-messages/${m.massMessage.id}`)).body.massMessage;
    expect(half).toMatchObject({ status: 'sending', stats: { sent: 4 } });
    // The retry, twice at once (a stalled job re-run while the first still runs).
    await Promise.all([faulty.deliver(m.massMessage.id), faulty.deliver(m.massMessage.id)]);
    const done = await finished(creator, m.massMessage.id);
    expect(done).toMatchObject({ status: 'done', stats: { sent: 7 } });
    const got = await copies(creator, fs.map((f) => f.user.id));
    for (const [fan, ms] of got) expect(ms.filter((x) => x.body === 'once only'), fan).toHaveLength(1);
    // Sequence numbers without holes: nothing of the killed batch was left behind.
    for (const ms of got.values()) expect(ms.map((x) => x.seq)).toEqual(ms.map((_, i) => i + 1));
  });

  it('cancel stops further batches; those reached keep it; a finished one cannot be cancelled', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const fs = await fans(6);
    for (const f of fs) await relate(f, creator, 'follow');
    let cancelled = false;
    const service = new MassMessagesService({
      db: node.pairly.db,
      store: new MassMessagesStore(node.pairly.db),
      chat: node.pairly.services.chat,
      media: node.pairly.services.media,
      realtime: realtimeOf(() => node.pairly.io),
      jobs: { ...node.pairly.jobs.queue, enqueue: async () => {} },
      logger: node.pairly.logger,
      config: { batch: 2, perSecond: 0, sweepSeconds: 60 },
      // The creator cancels while the first batch is being written: answered at once, that batch still commits.
      inBatch: async (id, n) => {
        if (n === 0 && !cancelled) {
          cancelled = true;
          const c = await call(creator.accessToken, 'POST', `/api/mass-messages/${id}/cancel`);
          expect(c.body.massMessage).toMatchObject({ status: 'cancelled', stats: { sent: 0 } });
        }
      },
    });
    const m = await service.create({ userId: creator.user.id, role: 'creator' }, { clientId: randomUUID(), audience: { kind: 'followers' }, exclude: [], body: 'stop me', price: 0 });
    await service.deliver(m.massMessage.id);
    const done = await finished(creator, m.massMessage.id);
    expect(done).toMatchObject({ status: 'cancelled', stats: { sent: 2 } });
    const got = await copies(creator, fs.map((f) => f.user.id));
    expect([...got.values()].filter((ms) => ms.length === 1)).toHaveLength(2);
    // The job runs again (a retry): nothing more goes out.
    await service.deliver(m.massMessage.id);
    expect((await call(creator.accessToken, 'GET', `/api/mass-messages/${m.massMessage.id}`)).body.massMessage.stats.sent).toBe(2);
    const again = await call(creator.accessToken, 'POST', `/api/mass-messages/${m.massMessage.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'MASS_MESSAGE_FINISHED', details: { status: 'cancelled' } });
    const other = await newUser(url, { role: 'creator' });
    expect((await call(other.accessToken, 'POST', `/api/mass-messages/${m.massMessage.id}/cancel`)).body.error.code).toBe('NOT_FOUND');
  });

  it('a scheduled mass message waits for its time; cancelled before it, it never goes out', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const [f] = await fans(1);
    await relate(f!, creator, 'follow');
    const m = await send(creator, { audience: { kind: 'followers' }, body: 'later', sendAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect(m.status).toBe('scheduled');
    await node.pairly.services.massMessages.deliver(m.id);
    expect((await copies(creator, [f!.user.id])).get(f!.user.id)).toEqual([]);
    const c = await call(creator.accessToken, 'POST', `/api/mass-messages/${m.id}/cancel`);
    expect(c.body.massMessage.status).toBe('cancelled');
  });
});

describe('pay-to-view mass messages and stats', () => {
  it('each fan unlocks once at the shown price (PRICE_CHANGED otherwise); stats count reads, unlocks and the ledger revenue', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const fs = await fans(3);
    for (const f of fs) await relate(f, creator, { tier: 1 });
    const { id: mediaId } = await uploadAndConfirm(url, creator.accessToken, 'message_attachment', 'image/jpeg', await jpegWithGps(320, 240));
    expect((await processed(url, creator.accessToken, mediaId)).state).toBe('ready');
    const m = await send(creator, { audience: { kind: 'subscribers' }, body: 'a photo for you', mediaId, price: 40 });
    await finished(creator, m.id);

    const [a, b] = fs;
    await fund(node.pairly, a!.user.id, 100);
    const conv = (await call(a!.accessToken, 'GET', '/api/conversations')).body.conversations.find((c: any) => c.peer.id === creator.user.id);
    const msg = conv.lastMessage as MessageView;
    expect(msg.attachment).toEqual({ mediaId, price: 40 });
    const wrong = await call(a!.accessToken, 'POST', `/api/messages/${msg.id}/unlock`, { expectedPrice: 30 });
    expect(wrong.status).toBe(409);
    expect(wrong.body.error).toMatchObject({ code: 'PRICE_CHANGED', details: { price: 40 } });
    const [u1, u2] = await Promise.all([
      call(a!.accessToken, 'POST', `/api/messages/${msg.id}/unlock`, { expectedPrice: 40 }),
      call(a!.accessToken, 'POST', `/api/messages/${msg.id}/unlock`, { expectedPrice: 40 }),
    ]);
    expect([u1.body.charged, u2.body.charged]).toEqual([40, 40]);
    expect([u1.body.replayed, u2.body.replayed].sort()).toEqual([false, true]);
    expect((await call(a!.accessToken, 'GET', '/api/wallet')).body.wallet).toMatchObject({ available: 60 });
    // b reads it without paying.
    const bConv = (await call(b!.accessToken, 'GET', '/api/conversations')).body.conversations.find((c: any) => c.peer.id === creator.user.id);
    const bSocket = await connect(url, b!.accessToken);
    try {
      expect(await ack(bSocket, 'chat:read', { conversationId: bConv.id, upToSeq: bConv.lastSeq })).toMatchObject({ ok: true, unread: 0 });
    } finally {
      bSocket.close();
    }

    const creatorShare = (await sql<{ amount: string }>(`SELECT amount FROM ledger_transfers WHERE idempotency_key = $1`, [`unlock:${msg.id}:${a!.user.id}:creator`]))[0]!;
    await waitFor(async () => {
      const s = (await call(creator.accessToken, 'GET', `/api/mass-messages/${m.id}`)).body.massMessage.stats;
      return s.read === 1 ? s : undefined;
    }, 10_000, 'the read to count');
    const { body } = await call(creator.accessToken, 'GET', '/api/mass-messages');
    // Pages of one: the next page continues strictly after the first (microsecond cursor), and the last has no next.
    const p1 = (await call(creator.accessToken, 'GET', '/api/mass-messages?limit=1')).body;
    expect(p1.massMessages.map((x: MassMessageView) => x.id)).toEqual([m.id]);
    expect(p1.nextBefore).toMatch(/\.\d{6}Z$/);
    const p2 = (await call(creator.accessToken, 'GET', `/api/mass-messages?limit=1&before=${encodeURIComponent(p1.nextBefore)}`)).body;
    expect(p2).toEqual({ massMessages: [], nextBefore: null });
    const listed = body.massMessages.find((x: MassMessageView) => x.id === m.id);
    expect(listed).toMatchObject({ price: 40, mediaId, status: 'done', stats: { sent: 3, read: 1, unlocked: 1, revenue: Number(creatorShare.amount) } });
    expect(Number(creatorShare.amount)).toBeGreaterThan(0);
    expect(await verifyLedger(node.pairly.services.ledgerStore)).toMatchObject({ ok: true });
  });
});

describe('stats of big mass messages in the list', () => {
  it('the list shows a big one\'s stats as last read (for a minute); the mass message itself is always read afresh', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const fs = await fans(3);
    for (const f of fs) await relate(f, creator, 'follow');
    const m = await send(creator, { audience: { kind: 'followers' }, body: 'big one' });
    await finished(creator, m.id);
    // "Big" here is anything over 1 recipient.
    const service = new MassMessagesService({
      db: node.pairly.db,
      store: new MassMessagesStore(node.pairly.db),
      chat: node.pairly.services.chat,
      media: node.pairly.services.media,
      realtime: realtimeOf(() => node.pairly.io),
      jobs: { ...node.pairly.jobs.queue, enqueue: async () => {} },
      logger: node.pairly.logger,
      config: { batch: 2, perSecond: 0, sweepSeconds: 60 },
      statsExactMax: 1,
    });
    const listed = async () => (await service.list(creator.user.id, undefined, 10)).massMessages.find((x) => x.id === m.id)!.stats;
    // Never read yet: read now, and kept.
    expect(await listed()).toEqual({ sent: 3, read: 0, unlocked: 0, revenue: 0 });
    const s = await connect(url, fs[0]!.accessToken);
    try {
      const conv = (await call(fs[0]!.accessToken, 'GET', '/api/conversations')).body.conversations.find((c: any) => c.peer.id === creator.user.id);
      expect(await ack(s, 'chat:read', { conversationId: conv.id, upToSeq: conv.lastSeq })).toMatchObject({ ok: true });
    } finally {
      s.close();
    }
    await waitFor(async () => (await service.get(creator.user.id, m.id)).stats.read === 1, 10_000, 'the read to count');
    // get() stored what it read: the list shows it; a minute later it would be read again.
    expect(await listed()).toMatchObject({ read: 1 });
    await sql(`UPDATE mass_messages SET stats = jsonb_set(stats, '{read}', '0'), stats_at = now() WHERE id = $1`, [m.id]);
    expect(await listed()).toMatchObject({ read: 0 });
    await sql(`UPDATE mass_messages SET stats_at = now() - interval '2 minutes' WHERE id = $1`, [m.id]);
    expect(await listed()).toMatchObject({ read: 1 });
  });
});
