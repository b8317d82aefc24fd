import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, newUser, waitFor, type ClientSocket } from '../support/client.js';
import { createBacking, startNodeProcess, type Backing, type NodeProcess } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

/**
 * The group commit under a crash: senders keep node A busy (every sender always has a send in
 * flight, so batches are always committing), A is SIGKILLed, the senders reconnect to node B and
 * retry every unanswered send with its clientId. Each message of the batches A had in flight was
 * either committed (and its retry is a replay) or not (and the retry stores it): exactly one row per
 * clientId, every ack's message is that row, numbering without holes.
 */
let backing: Backing;
const nodes: NodeProcess[] = [];

beforeAll(async () => {
  backing = await createBacking();
  const env = { ...backing.env, CHAT_MESSAGES_PER_10S: '100000', CHAT_FLOOD_PER_5S: '100000', SOCKET_EVENTS_PER_SECOND: '10000' };
  nodes.push(...(await Promise.all([startNodeProcess(env), startNodeProcess(env)])));
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
  await backing?.cleanup();
});

const ack = (s: ClientSocket, payload: unknown) => (s as any).timeout(3000).emitWithAck('chat:send', payload) as Promise<any>;

describe('group commit and a node killed mid-batch', () => {
  it('every send is stored exactly once, whether its batch committed before the SIGKILL or its retry stored it on the other node', async () => {
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    const PAIRS = 16;
    const senders = await Promise.all(Array.from({ length: PAIRS }, () => newUser(a.url)));
    const recipients = await Promise.all(Array.from({ length: PAIRS }, () => newUser(a.url)));
    const sockets = await Promise.all(senders.map((s) => connect(a.url, s.accessToken)));
    const conversations: string[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const r = await ack(sockets[i]!, { toUserId: recipients[i]!.user.id, clientId: randomUUID(), body: 'opening' });
      expect(r.ok).toBe(true);
      conversations.push(r.message.conversationId);
    }

    const issued = new Map<string, { conversation: string; body: string }>();
    const acked = new Map<string, string>(); // clientId -> message id
    let retried = 0;
    let stop = false;
    const loop = async (i: number) => {
      for (let n = 0; !stop; n++) {
        const clientId = randomUUID();
        const payload = { conversationId: conversations[i]!, clientId, body: `s${i} m${n}` };
        issued.set(clientId, { conversation: payload.conversationId, body: payload.body });
        for (let attempt = 0; ; attempt++) {
          if (attempt > 0) retried++;
          // After the kill, sockets[i] is the sender's new socket on node B: the retry goes there, same clientId.
          const r = await ack(sockets[i]!, payload).catch(() => undefined);
          if (r?.ok) {
            const before = acked.get(clientId);
            // An ack names the one stored message: a replay names the same one.
            if (before) expect(r.message.id).toBe(before);
            acked.set(clientId, r.message.id);
            break;
          }
          if (r && !r.ok) throw new Error(`send refused: ${JSON.stringify(r.error)}`);
          if (attempt > 20) throw new Error(`send ${clientId} never acked`);
          await waitFor(() => sockets[i]!.connected, 20_000, 'a connected socket');
        }
      }
    };
    const loops = senders.map((_, i) => loop(i));

    await waitFor(() => acked.size >= 150, 60_000, '150 acks before the kill');
    const inFlightAtKill = issued.size - acked.size;
    await a.kill('SIGKILL');
    for (let i = 0; i < PAIRS; i++) {
      sockets[i]!.close();
      sockets[i] = await connect(b.url, senders[i]!.accessToken);
    }
    const atKill = acked.size;
    await waitFor(() => acked.size >= atKill + 100, 60_000, '100 more acks on node B');
    stop = true;
    await Promise.all(loops);

    // Sends were in flight when A died, and some had to be retried on B.
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(retried).toBeGreaterThan(0);
    expect(acked.size).toBe(issued.size);
    const rows = await pgQuery<{ id: string; client_id: string; conversation_id: string; body: string }>(
      backing.databaseUrl,
      `SELECT id, client_id, conversation_id, body FROM messages WHERE conversation_id = ANY($1::uuid[]) AND body <> 'opening'`,
      [conversations],
    );
    const byClient = new Map<string, typeof rows>();
    for (const r of rows) byClient.set(r.client_id, [...(byClient.get(r.client_id) ?? []), r]);
    expect(rows.length).toBe(issued.size);
    for (const [clientId, sent] of issued) {
      const stored = byClient.get(clientId) ?? [];
      expect(stored, `one row for ${clientId}`).toHaveLength(1);
      expect(stored[0]!).toMatchObject({ id: acked.get(clientId), conversation_id: sent.conversation, body: sent.body });
    }
    for (const c of conversations) {
      const seqs = await pgQuery<{ seq: number }>(backing.databaseUrl, 'SELECT seq::int AS seq FROM messages WHERE conversation_id = $1 ORDER BY seq', [c]);
      expect(seqs.map((s) => s.seq)).toEqual(Array.from({ length: seqs.length }, (_, k) => k + 1));
    }
    for (const s of sockets) s.close();
    // Sign-ups, a SIGKILL and retries through a second node: longer than the default on a busy machine.
  }, 120_000);
});
