import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, newUser, nextEvent, waitFor, type ClientSocket } from '../support/client.js';
import { createBacking, startNodeProcess, type Backing, type NodeProcess } from '../support/pairly.js';
import { expectAckedDeliveredOnce } from '../support/acked.js';
import { pgQuery } from '../support/services.js';

/**
 * Chat on real server processes joined by Redis, including nodes killed
 * with SIGKILL while messages flow: nothing acked may be lost.
 */
let backing: Backing;
let env: Record<string, string>;
const nodes: NodeProcess[] = [];

beforeAll(async () => {
  backing = await createBacking();
  env = { ...backing.env, PRESENCE_TTL_SECONDS: '3', CHAT_MESSAGES_PER_10S: '1000', CHAT_FLOOD_PER_5S: '1000' };
  nodes.push(...(await Promise.all([startNodeProcess(env), startNodeProcess(env), startNodeProcess(env)])));
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
  await backing?.cleanup();
});

const ack = (s: ClientSocket, event: string, payload: unknown, ms = 3000) => (s as any).timeout(ms).emitWithAck(event, payload) as Promise<any>;

describe('chat across nodes', () => {
  it('a message sent through node B reaches the recipient on node A and the sender\'s device on node C', async () => {
    const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const alice = await newUser(a.url);
    const bob = await newUser(a.url);
    const bobOnA = await connect(a.url, bob.accessToken);
    const aliceOnC = await connect(c.url, alice.accessToken);
    const aliceOnB = await connect(b.url, alice.accessToken);
    const pushes = Promise.all([nextEvent<any>(bobOnA, 'chat:message'), nextEvent<any>(aliceOnC, 'chat:message')]);
    const sent = await ack(aliceOnB, 'chat:send', { toUserId: bob.user.id, clientId: randomUUID(), body: 'across the cluster' });
    expect(sent.ok).toBe(true);
    for (const m of await pushes) expect(m.id).toBe(sent.message.id);
    const readPush = nextEvent<any>(aliceOnC, 'chat:read');
    await ack(bobOnA, 'chat:read', { conversationId: sent.message.conversationId, upToSeq: 1 });
    expect((await readPush).upToSeq).toBe(1);
    for (const s of [bobOnA, aliceOnC, aliceOnB]) s.close();
  });

  it('SIGKILL of the recipient\'s node, then of the sender\'s node, mid-flow: every acked message is stored once and reaches the recipient', async () => {
    const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const sender = await newUser(a.url);
    const recipient = await newUser(a.url);
    let senderSocket = await connect(a.url, sender.accessToken);
    let recipientSocket = await connect(b.url, recipient.accessToken);
    const received = new Map<string, string>(); // id -> body
    const listen = (s: ClientSocket) => s.on('chat:message', (m: any) => received.set(m.id, m.body));
    listen(recipientSocket);

    const acked = new Map<string, string>(); // clientId -> message id
    const conversationId = (await ack(senderSocket, 'chat:send', { toUserId: recipient.user.id, clientId: randomUUID(), body: 'start' })).message.conversationId;
    const startedAt = new Date(Date.now() - 1000).toISOString();

    const sendUntilAcked = async (i: number) => {
      const clientId = randomUUID();
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          const r = await ack(senderSocket, 'chat:send', { conversationId, clientId, body: `msg ${i}` });
          if (r.ok) {
            acked.set(clientId, r.message.id);
            return;
          }
        } catch {
          // Lost ack (the node died): retry with the same clientId, wherever we are connected now.
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`message ${i} never acked`);
    };

    for (let i = 0; i < 60; i++) {
      if (i === 15) {
        // The recipient's node dies; the recipient reconnects to node A and syncs.
        await b.kill('SIGKILL');
        recipientSocket.close();
        recipientSocket = await connect(a.url, recipient.accessToken);
        listen(recipientSocket);
      }
      if (i === 35) {
        // The sender's node dies mid-send: the in-flight message is retried on node C.
        const dying = a.kill('SIGKILL');
        const inFlight = sendUntilAcked(i);
        await dying;
        senderSocket.close();
        senderSocket = await connect(c.url, sender.accessToken);
        recipientSocket.close();
        recipientSocket = await connect(c.url, recipient.accessToken);
        listen(recipientSocket);
        await inFlight;
        continue;
      }
      await sendUntilAcked(i);
    }

    expect(acked.size).toBe(60);
    // It catches up on whatever the pushes missed while the recipient was reconnecting.
    await expectAckedDeliveredOnce({ recipient: recipientSocket, since: startedAt, received, acked, databaseUrl: backing.databaseUrl, conversationId });
    const seqs = await pgQuery<{ seq: number }>(backing.databaseUrl, `SELECT seq FROM messages WHERE conversation_id = $1 ORDER BY seq`, [conversationId]);
    expect(seqs.map((s) => Number(s.seq))).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    senderSocket.close();
    recipientSocket.close();
  });

  it('users of a crashed node go offline for their peers on the surviving nodes', async () => {
    const c = nodes[2]!;
    const d = await startNodeProcess(env);
    nodes.push(d);
    const watcher = await newUser(c.url);
    const traveller = await newUser(c.url);
    const w = await connect(c.url, watcher.accessToken);
    await ack(w, 'chat:send', { toUserId: traveller.user.id, clientId: randomUUID(), body: 'hi' });
    const statusOf = (status: string) =>
      waitFor(
        () =>
          new Promise<boolean | undefined>((resolve) => {
            const h = (p: any) => {
              if (p.updates.some((u: any) => u.userId === traveller.user.id && u.status === status)) {
                w.off('presence:update', h);
                resolve(true);
              }
            };
            w.on('presence:update', h);
            setTimeout(() => (w.off('presence:update', h), resolve(undefined)), 15_000);
          }),
        20_000,
        status,
      );
    const online = statusOf('online');
    const t = await connect(d.url, traveller.accessToken);
    await online;
    const offline = statusOf('offline');
    await d.kill('SIGKILL');
    t.close();
    await offline;
    w.close();
  });
});
