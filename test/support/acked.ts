import { expect } from 'vitest';
import type { ClientSocket } from './client.js';
import { pgQuery } from './services.js';

/**
 * The end of every fault test's chat flow: what the live pushes missed is fetched with `chat:sync` since
 * `since` (into `received`, message id → body), then every acked message (`acked`, clientId → message id)
 * must have reached the recipient and be stored exactly once in the conversation.
 */
export async function expectAckedDeliveredOnce(o: {
  recipient: ClientSocket;
  since: string;
  received: Map<string, string>;
  acked: Map<string, string>;
  databaseUrl: string;
  conversationId: string;
}): Promise<void> {
  let request: object = { since: o.since, limit: 500 };
  for (;;) {
    const page = await (o.recipient as any).timeout(3000).emitWithAck('chat:sync', request);
    for (const m of page.messages) o.received.set(m.id, m.body);
    if (!page.hasMore) break;
    request = { cursor: page.next, limit: 500 };
  }
  for (const [, id] of o.acked) expect(o.received.has(id), `acked message ${id} reached the recipient`).toBe(true);
  const rows = await pgQuery<{ client_id: string; n: number }>(
    o.databaseUrl,
    `SELECT client_id, count(*)::int AS n FROM messages WHERE conversation_id = $1 GROUP BY client_id`,
    [o.conversationId],
  );
  expect(rows.every((r) => r.n === 1)).toBe(true);
  for (const clientId of o.acked.keys()) expect(rows.some((r) => r.client_id === clientId)).toBe(true);
}
