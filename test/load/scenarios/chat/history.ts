import pg from 'pg';

/**
 * Gives every conversation of a bench's database `perConversation` messages of history (the two members
 * alternating, numbered after what it holds), then analyzes the chat tables. A statement prepared on a
 * connection is planned once, with the statistics of that moment: over empty, never-analyzed partitions
 * PostgreSQL can plan the send batch's clientId look-up on an index that reads a whole conversation, and
 * keeps that plan until autovacuum's next ANALYZE, so a bench that starts on empty tables measures a
 * plan no running system keeps (BENCHMARKS.md, "A send batch's fixed cost"). Run before any message is
 * sent, so the nodes' connections plan with these statistics. Cluster mode only (local PostgreSQL).
 */
export async function seedHistory(databaseUrl: string, perConversation: number): Promise<{ conversations: number; ms: number }> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query(
      `WITH c AS (
         SELECT c.id, c.last_seq, array_agg(m.user_id ORDER BY m.user_id) AS who
         FROM conversations c JOIN conversation_members m ON m.conversation_id = c.id
         GROUP BY c.id
       ), ins AS (
         INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body)
         SELECT gen_random_uuid(), c.id, c.last_seq + g, c.who[1 + g % 2], gen_random_uuid(), 'history ' || g
         FROM c, generate_series(1, $1::int) g
       )
       UPDATE conversations x SET last_seq = c.last_seq + $1::int, last_message_at = now() FROM c WHERE x.id = c.id`,
      [perConversation],
    );
    await client.query('ANALYZE messages; ANALYZE conversations; ANALYZE conversation_members');
    return { conversations: rowCount ?? 0, ms: Math.round(performance.now() - started) };
  } finally {
    await client.end();
  }
}
