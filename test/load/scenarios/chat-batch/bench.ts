import { randomUUID } from 'node:crypto';
import { ChatBatchStore, SEND_BATCH_SETTINGS, type BatchInsert } from '../../../../server/src/modules/chat/chat.batch.store.js';
import { createPgDatabase } from '../../../../server/src/db/pg.js';
import { createLogger } from '../../../../server/src/logger.js';
import { startInProcess } from '../../../support/pairly.js';
import { listFlag, numberFlag, parseCli } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { load1 } from '../../lib/machine.js';
import { procStat } from '../../lib/probe.js';
import { ProgressPrinter } from '../../lib/progress.js';
import { LatencyRecorder, type LatencySummary } from '../../lib/recorder.js';
import { benchData } from '../../lib/server-env.js';
import { fmtMs } from '../../lib/summary.js';
import { preparePairly } from '../chat/clients.js';
import { CHAT_BENCH_ENV } from '../chat/targets.js';
import { seedHistory } from '../chat/history.js';

const USAGE = `usage: npm run bench -- chat-batch [flags]
  --pairs N          conversations (two users each) the batches write to (default 200)
  --sizes LIST       messages per batch, comma-separated (default 1,10,50)
  --statements N     batches per variant and round (default 400)
  --rounds N         rounds; each runs every size, the two variants alternating (default 3)
  --history N        messages each conversation holds before the rounds (default 50), then ANALYZE
  --statement S      send (default): the send batch against a bare INSERT; receipts: the receipts
                     batch (read receipts, one member of each conversation per batch) against a bare
                     UPDATE of the same members' pointers
  --unread N         receipts: read up to N messages before each conversation's last (default 0:
                     everything read, as a client that shows a conversation confirms)

Chat's group commit (ChatBatchStore.send, the statement a node's SendBatch runs) alone, on local
PostgreSQL: one connection runs N batches of each size, each in its own transaction with the batch's
settings, committed, and the backend's own CPU (/proc/<pid>/stat) is read around them. The baseline,
alternating with it on the same connection: a bare multi-row INSERT of the same rows into messages
(ids, conversation, seq, sender, clientId, body), committed; the floor of storing them, nothing checked.
The two variants write to different conversations, so neither numbering waits on the other. The
conversations hold --history messages first and the tables are analyzed, as a running system's are:
a statement prepared on a connection is planned once, with the statistics of that moment, and plans
made over empty partitions can choose an index that reads a whole conversation per look-up until
autovacuum's next ANALYZE (BENCHMARKS.md).

With --statement receipts, the batch is ChatBatchStore.advance, the statement a node's ReceiptBatch runs
(one statement, its own transaction): each member's read pointer moved up to its conversation's last
message less --unread, and the unread count that a read answers with.`;

interface Row {
  round: number;
  size: number;
  variant: 'send batch' | 'bare INSERT' | 'receipts batch' | 'bare UPDATE';
  statements: number;
  pgUsPerStatement: number;
  pgUsPerMessage: number;
  latency: LatencySummary;
  load1: number;
}

/**
 * `npm run bench -- chat-batch`: what one group commit of chat costs PostgreSQL, by batch size. The
 * chat bench measures the whole path (sockets, node, PostgreSQL, Redis) at once; this isolates the
 * statement, whose fixed cost per batch matters most where batches are small (a quiet node: one or two
 * messages per batch at 200 messages/s). Results: BENCHMARKS.md, Chat.
 */
export async function benchChatBatch(argv: string[]): Promise<number> {
  const { values } = parseCli(USAGE, {
    args: argv,
    options: {
      pairs: { type: 'string', default: '200' },
      sizes: { type: 'string', default: '1,10,50' },
      statements: { type: 'string', default: '400' },
      rounds: { type: 'string', default: '3' },
      history: { type: 'string', default: '50' },
      statement: { type: 'string', default: 'send' },
      unread: { type: 'string', default: '0' },
    },
    allowPositionals: false,
    strict: true,
  });
  const pairs = numberFlag('pairs', values.pairs, 4, 5000, USAGE);
  const sizes = listFlag('sizes', values.sizes, 1, 128, USAGE);
  const statements = numberFlag('statements', values.statements, 10, 100_000, USAGE);
  const rounds = numberFlag('rounds', values.rounds, 1, 20, USAGE);
  const history = numberFlag('history', values.history, 0, 10_000, USAGE);
  const unread = numberFlag('unread', values.unread, 0, 10_000, USAGE);
  const statement = values.statement;
  if (statement !== 'send' && statement !== 'receipts') {
    process.stderr.write(`--statement must be send or receipts\n${USAGE}\n`);
    return 2;
  }
  if (statement === 'receipts' && Math.max(...sizes) > Math.floor(pairs / 2)) {
    // Half the conversations take the batches, half the bare statement; a batch holds one member of each.
    process.stderr.write(`--statement receipts: every --sizes at most --pairs / 2 (${Math.floor(pairs / 2)})\n${USAGE}\n`);
    return 2;
  }
  if (statement === 'receipts' && unread >= history) {
    process.stderr.write(`--unread must be below --history (a conversation holds --history messages)\n${USAGE}\n`);
    return 2;
  }
  const progress = new ProgressPrinter();
  const cleanups = new Cleanups((m) => progress.log(m), 30_000);
  try {
    const data = await benchData('cluster', cleanups, 'pairly-bench-chat-batch');
    const node = await startInProcess({ ...CHAT_BENCH_ENV, ...data.env });
    cleanups.add(() => node.stop());
    const { plan } = await preparePairly([node.url], pairs * 2, { price: 0, role: 'fan' }, { concurrency: 16, log: (m) => progress.log(m) });
    // The node stays up (its migrations made the schema, its sign-ups the users) but is idle from here on.
    if (history > 0) {
      const seeded = await seedHistory(data.databaseUrl!, history);
      progress.log(`${seeded.conversations} conversations hold ${history} messages each; tables analyzed (${seeded.ms} ms)`);
    }
    // The project's own database layer on one connection: each batch is the transaction a node's SendBatch runs.
    const db = createPgDatabase({ url: data.databaseUrl!, poolSize: 1, logger: createLogger({ level: 'silent', nodeId: 'bench' }) });
    cleanups.add(() => db.close());
    const store = new ChatBatchStore();

    // Each conversation's members, and its next seq for the bare inserts (they keep their own numbering).
    const convs = plan.conversations.map((id, p) => ({ id, members: [plan.users[2 * p]!, plan.users[2 * p + 1]!] }));
    const batchConvs = convs.filter((_, i) => i % 2 === 0);
    const bareConvs = convs.filter((_, i) => i % 2 === 1);
    const nextSeq = new Map<string, number>();
    for (const r of (await db.query<{ id: string; last_seq: number }>('SELECT id, last_seq::int AS last_seq FROM conversations WHERE id = ANY($1)', [bareConvs.map((c) => c.id)])).rows) nextSeq.set(r.id, r.last_seq + 1);
    let k = 0;
    const item = (list: typeof convs): BatchInsert & { senderRole: string; expectedPrice: null } => {
      const c = list[k++ % list.length]!;
      const sender = c.members[k % 2]!;
      return { id: randomUUID(), conversationId: c.id, senderId: sender.id, clientId: randomUUID(), body: `bench message ${k}`, price: 0, attachment: null, senderRole: 'fan', expectedPrice: null };
    };

    // Receipts: each conversation's last seq (no message is sent meanwhile), and which member of it reads next.
    const lastSeq = new Map<string, number>();
    for (const r of (await db.query<{ id: string; last_seq: number }>('SELECT id, last_seq::int AS last_seq FROM conversations WHERE id = ANY($1)', [convs.map((c) => c.id)])).rows) lastSeq.set(r.id, r.last_seq);
    let nextReader = 0;
    /** `size` receipts of distinct conversations from `list` (a batch merges a member's receipts into one). */
    const receipts = (list: typeof convs, size: number) =>
      Array.from({ length: size }, (_, j) => {
        const c = list[(nextReader + j) % list.length]!;
        const upTo = lastSeq.get(c.id)! - unread;
        return { conversationId: c.id, userId: c.members[Math.floor((nextReader + j) / list.length) % 2]!.id, deliveredTo: upTo, readTo: upTo };
      });

    const sendVariants = {
      'send batch': async (size: number) => {
        const items = Array.from({ length: size }, () => item(batchConvs));
        const t = performance.now();
        const rows = await db.transaction((tx) => store.send(tx, items), { local: SEND_BATCH_SETTINGS });
        const ms = performance.now() - t;
        const stored = rows.filter((r) => r.inserted).length;
        if (stored !== size) throw new Error(`a send batch of ${size} stored ${stored}: the bench's conversations must let every message through`);
        return ms;
      },
      'bare INSERT': async (size: number) => {
        const items = Array.from({ length: size }, () => item(bareConvs));
        const seqs = items.map((i) => {
          const s = nextSeq.get(i.conversationId)!;
          nextSeq.set(i.conversationId, s + 1);
          return s;
        });
        const t = performance.now();
        await db.transaction((tx) =>
          tx.query(
            `INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body)
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::uuid[], $6::text[])`,
            [items.map((i) => i.id), items.map((i) => i.conversationId), seqs, items.map((i) => i.senderId), items.map((i) => i.clientId), items.map((i) => i.body)],
            { name: 'bench.bare.insert' },
          ),
        );
        return performance.now() - t;
      },
    } as const;
    const receiptVariants = {
      'receipts batch': async (size: number) => {
        const items = receipts(batchConvs, size);
        nextReader += size;
        const t = performance.now();
        const rows = await store.advance(db, items);
        const ms = performance.now() - t;
        // The history alternates senders: of the last --unread messages, a member has the peer's unread (0 when all read).
        if (rows.length !== size || rows.some((r) => r.unread === null || r.unread < 0 || r.unread > unread)) {
          throw new Error(`a receipts batch of ${size} answered ${rows.length} rows, unread ${rows.map((r) => r.unread).join(',')}; expected 0 to ${unread} each`);
        }
        return ms;
      },
      'bare UPDATE': async (size: number) => {
        const items = receipts(bareConvs, size);
        const t = performance.now();
        await db.query(
          `UPDATE conversation_members m SET read_seq = greatest(m.read_seq, i.up_to), delivered_seq = greatest(m.delivered_seq, i.up_to)
           FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS i(conversation_id, user_id, up_to)
           WHERE m.conversation_id = i.conversation_id AND m.user_id = i.user_id`,
          [items.map((i) => i.conversationId), items.map((i) => i.userId), items.map((i) => i.readTo)],
          { name: 'bench.bare.update' },
        );
        return performance.now() - t;
      },
    } as const;
    const variants: Record<string, (size: number) => Promise<number>> = statement === 'send' ? sendVariants : receiptVariants;
    const baseline = statement === 'send' ? 'bare INSERT' : 'bare UPDATE';

    // The one connection's backend (read per window: the pool replaces a connection idle for 10 s).
    const backendPid = async () => (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    // Warm-up: every statement prepared and planned, the caches filled.
    for (const size of sizes) for (const run of Object.values(variants)) for (let i = 0; i < 20; i++) await run(size);

    const rows: Row[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const size of sizes) {
        const order = Object.keys(variants) as Row['variant'][];
        if (round % 2 === 0) order.reverse();
        for (const variant of order) {
          const rec = new LatencyRecorder(statements);
          const pid = await backendPid();
          const cpu0 = procStat(pid)?.cpuUs ?? NaN;
          for (let i = 0; i < statements; i++) {
            rec.record(await variants[variant]!(size));
            if (i % 50 === 49) progress.status(`[round ${round}/${rounds}] ${variant}, ${size} per batch: ${i + 1}/${statements}`);
          }
          const used = (procStat(pid)?.cpuUs ?? NaN) - cpu0;
          rows.push({ round, size, variant, statements, pgUsPerStatement: used / statements, pgUsPerMessage: used / statements / size, latency: rec.summary(), load1: load1() });
        }
      }
    }
    progress.end();
    process.stdout.write(`\n${report(rows, { pairs, statements, history, statement, unread, baseline })}\n`);
    return 0;
  } finally {
    await cleanups.run();
  }
}

function report(rows: Row[], o: { pairs: number; statements: number; history: number; statement: string; unread: number; baseline: string }): string {
  const head = ['round', 'per batch', 'statement', 'PostgreSQL µs / batch', 'µs / message', `÷ ${o.baseline}`, 'p50 ms', 'p99 ms', 'load avg'];
  const what = o.statement === 'send' ? '' : `, read receipts up to ${o.unread === 0 ? 'the last message' : `${o.unread} before the last message`}`;
  const lines = [
    `bench chat-batch: ${o.pairs} conversations (${o.history} messages each before)${what}, ${o.statements} batches per variant, size and round, each committed; PostgreSQL CPU is the one backend's (/proc)`,
    '',
    `| ${head.join(' | ')} |`,
    `| --- | ${head.slice(1).map(() => '---:').join(' | ')} |`,
  ];
  for (const r of rows) {
    const bare = rows.find((b) => b.round === r.round && b.size === r.size && b.variant === o.baseline);
    // (A window shorter than the clock's ticks can read 0 µs: no ratio then.)
    const ratio = r.variant === o.baseline || !bare || !(bare.pgUsPerStatement > 0) ? '—' : `${(r.pgUsPerStatement / bare.pgUsPerStatement).toFixed(2)}×`;
    lines.push(`| ${r.round} | ${r.size} | ${r.variant} | ${Math.round(r.pgUsPerStatement)} | ${Math.round(r.pgUsPerMessage)} | ${ratio} | ${fmtMs(r.latency.p50)} | ${fmtMs(r.latency.p99)} | ${r.load1.toFixed(2)} |`);
  }
  lines.push(
    '',
    o.statement === 'send'
      ? "PostgreSQL µs: CPU time of the bench connection's backend per batch (its BEGIN with the settings, the statement, COMMIT); p50/p99: the whole transaction, as the client waits for it."
      : "PostgreSQL µs: CPU time of the bench connection's backend per batch (one statement, committed on its own as a node's receipts are); p50/p99: the statement, as the client waits for it.",
  );
  return lines.join('\n');
}
