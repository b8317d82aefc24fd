import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, newUser, nextEvent, type ClientSocket } from '../support/client.js';
import { createBacking, startNodeProcess, type Backing, type NodeProcess } from '../support/pairly.js';

/** Reactions, edits and deletes pushed across two real server processes joined by Redis. */
let backing: Backing;
const nodes: NodeProcess[] = [];

beforeAll(async () => {
  backing = await createBacking();
  const env = { ...backing.env, CHAT_MESSAGES_PER_10S: '1000', CHAT_FLOOD_PER_5S: '1000' };
  nodes.push(...(await Promise.all([startNodeProcess(env), startNodeProcess(env)])));
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
  await backing?.cleanup();
});

const ack = (s: ClientSocket, event: string, payload: unknown) => (s as any).timeout(5000).emitWithAck(event, payload) as Promise<any>;

describe('message changes across nodes', () => {
  it('a reaction, an edit and a delete made on one node reach every device of both members on both nodes', async () => {
    const [n1, n2] = nodes as [NodeProcess, NodeProcess];
    const ada = await newUser(n1.url);
    const ben = await newUser(n1.url);
    const adaOn1 = await connect(n1.url, ada.accessToken);
    const benOn2 = await connect(n2.url, ben.accessToken);
    const benOn1 = await connect(n1.url, ben.accessToken);
    const adaOn2 = await connect(n2.url, ada.accessToken);
    const sent = await ack(benOn2, 'chat:send', { toUserId: ada.user.id, clientId: randomUUID(), body: 'from node 2' });
    const { conversationId, id: messageId } = sent.message;

    // Ada reacts on node 1: Ben's devices on both nodes and Ada's other device on node 2 see it.
    let pushes = Promise.all([benOn2, benOn1, adaOn2].map((s) => nextEvent<any>(s, 'chat:changed')));
    const r = await ack(adaOn1, 'chat:react', { conversationId, messageId, emoji: '👍' });
    expect(r.ok).toBe(true);
    for (const p of await pushes) expect(p).toMatchObject({ id: messageId, changeSeq: 1, reactions: [{ emoji: '👍', count: 1, userIds: [ada.user.id] }] });

    // Ben edits on node 2: Ada's devices on both nodes see "edited".
    pushes = Promise.all([adaOn1, adaOn2, benOn1].map((s) => nextEvent<any>(s, 'chat:changed')));
    expect((await ack(benOn2, 'chat:edit', { conversationId, messageId, body: 'from node 2, edited' })).ok).toBe(true);
    for (const p of await pushes) expect(p).toMatchObject({ id: messageId, changeSeq: 2, body: 'from node 2, edited' });

    // Ben deletes it for everyone from node 1: a tombstone everywhere.
    pushes = Promise.all([adaOn1, adaOn2, benOn2].map((s) => nextEvent<any>(s, 'chat:changed')));
    expect((await ack(benOn1, 'chat:delete', { conversationId, messageId, scope: 'everyone' })).ok).toBe(true);
    for (const p of await pushes) expect(p).toMatchObject({ id: messageId, changeSeq: 3, deleted: true, body: '' });
    for (const s of [adaOn1, adaOn2, benOn1, benOn2]) s.close();
  });
});
