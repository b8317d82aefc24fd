import { readdirSync, readFileSync } from 'node:fs';
import { createPgDatabase } from '../../../../server/src/db/pg.js';
import { migrate } from '../../../../server/src/db/migrate.js';
import { createLogger } from '../../../../server/src/logger.js';
import { createPasswordHasher } from '../../../../server/src/modules/auth/passwords.js';
import { seed, SEED_PASSWORD } from '../../../../server/src/cli/seed/seed.js';
import { logIn } from '../../../support/client.js';
import { startNodeProcess, TEST_JWT_SECRET, tempDir } from '../../../support/pairly.js';
import { startPgReplicaPair } from '../../../support/pg-replica.js';
import { createRedisPrefix, TEST_REDIS_URL } from '../../../support/services.js';
import { numberFlag, parseCli } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { CORES, load1, waitForLowLoad } from '../../lib/machine.js';
import { machineBusyPct, machineCpu, procStat, scrapeProbe, usageOf } from '../../lib/probe.js';
import { ProgressPrinter } from '../../lib/progress.js';
import { runLoop } from '../../lib/runner.js';
import { LoadError } from '../../lib/scenario.js';
import { BENCH_SERVER_ENV, envLine } from '../../lib/server-env.js';
import { cpuNote, summaryTable, type SummaryRow } from '../../lib/summary.js';

/**
 * `npm run bench -- history`: a PostgreSQL primary and a streaming replica of it made by the bench
 * (test/support/pg-replica.ts: initdb, pg_basebackup -R, ports 5443/5444), seeded on the primary with
 * K conversations of M messages (the seed script's fans, then messages by generate_series). Then, in one
 * run, C HTTP clients (each a member of one conversation, closed loop) read history pages of 50 through:
 *
 *   primary alone    a node with DATABASE_URL only
 *   replica          a node with DATABASE_REPLICA_URLS as well: the pages come from the replica
 *   primary alone    again, so drift over the run (the machine is shared) shows
 *
 * Nobody writes during the run, so read-your-writes keeps nothing on the primary. The CPU of each
 * PostgreSQL instance is its postmaster's and backends' (/proc), % of one core over the window.
 */
const USAGE = `usage: npm run bench -- history [flags]
  --conversations K  conversations seeded (default 1000)
  --messages M       messages in each (default 200)
  --clients C        concurrent HTTP clients, closed loop (default 8)
  --duration S       measured seconds per variant (default 15)
  --warmup S         unmeasured seconds before each (default 3)
  --no-wait          do not wait for a load average below 1.2 before measuring
Its own PostgreSQL pair on ports 5443/5444 (binaries: TEST_PG_BIN), removed at the end; Redis at TEST_REDIS_URL.`;

/** CPU so far of a postmaster and its children (backends, WAL sender/receiver, startup), µs. */
function instanceCpuUs(pid: number): number {
  let us = procStat(pid)?.cpuUs ?? 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) us += procStat(entry)?.cpuUs ?? 0;
    } catch {
      /* gone */
    }
  }
  return us;
}

export async function benchHistory(argv: string[]): Promise<number> {
  const { values: v } = parseCli(USAGE, {
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      conversations: { type: 'string', default: '1000' },
      messages: { type: 'string', default: '200' },
      clients: { type: 'string', default: '8' },
      duration: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '3' },
      'no-wait': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const f = {
    conversations: numberFlag('conversations', v.conversations, 1, 1_000_000, USAGE),
    messages: numberFlag('messages', v.messages, 1, 100_000, USAGE),
    clients: numberFlag('clients', v.clients, 1, 256, USAGE),
    durationS: numberFlag('duration', v.duration, 1, 600, USAGE, false),
    warmupS: numberFlag('warmup', v.warmup, 0, 60, USAGE, false),
  };
  const printer = new ProgressPrinter();
  const log = (m: string) => printer.log(m);
  const cleanups = new Cleanups(log);
  cleanups.onSigint();
  try {
    const pair = await startPgReplicaPair({ primary: 5443, replica: 5444 });
    cleanups.add(() => pair.teardown());
    const database = await pair.createDatabase('pairly_history_bench');
    const logger = createLogger({ level: 'silent', nodeId: 'history-bench' });
    const db = createPgDatabase({ url: pair.primary.url(database), poolSize: 4, logger });
    cleanups.add(() => db.close());
    await migrate(db, logger);
    log(`history bench: primary :${pair.primary.port}, replica :${pair.replica.port}; node ${process.version}, ${CORES} cores, load average ${load1().toFixed(2)}`);

    // Enough fans for K pairs; the seed script writes 2-6 messages to each, the rest come from generate_series.
    const fans = Math.ceil(Math.sqrt(2 * f.conversations)) + 2;
    const passwordHash = await createPasswordHasher(Number(BENCH_SERVER_ENV.ARGON2_MEMORY_KIB)).hash(SEED_PASSWORD);
    await seed(db, { users: fans, creators: 0, posts: 0, follows: 0, conversations: f.conversations, seed: 1, passwordHash, fanoutMax: 20_000 }, (phase, done, total) =>
      printer.status(`[seed] ${phase} ${done}/${total}`),
    );
    await db.query(
      `WITH more AS (
         INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at)
         SELECT gen_random_uuid(), c.id, c.last_seq + g, CASE WHEN g % 2 = 0 THEN c.user_low ELSE c.user_high END, gen_random_uuid(),
                'message ' || g || ': ' || repeat('words of a chat message ', 1 + g % 4), now() - ($1::int - g) * interval '1 minute'
         FROM conversations c, generate_series(1, $1::int) g
         RETURNING conversation_id
       )
       UPDATE conversations c SET last_seq = c.last_seq + $1::int, last_message_at = now() WHERE c.id IN (SELECT DISTINCT conversation_id FROM more)`,
      [f.messages],
    );
    await db.query('ANALYZE');
    const [counts] = (await db.query<{ conversations: number; messages: number }>(`SELECT (SELECT count(*)::int FROM conversations) AS conversations, (SELECT count(*)::int FROM messages) AS messages`)).rows;
    await pair.caughtUp();
    log(`seeded ${counts!.conversations} conversations, ${counts!.messages} messages; replica caught up`);

    // Each client: a member of a different conversation.
    const members = (
      await db.query<{ email: string; conversation_id: string }>(
        `SELECT DISTINCT ON (u.id) u.email, cm.conversation_id FROM conversation_members cm JOIN users u ON u.id = cm.user_id ORDER BY u.id, cm.conversation_id LIMIT $1`,
        [f.clients],
      )
    ).rows;
    const clients = members.length;

    const redis = createRedisPrefix();
    cleanups.add(() => redis.cleanup());
    const data = tempDir('pairly-history-bench');
    cleanups.add(() => data.remove());
    const baseEnv = {
      ...BENCH_SERVER_ENV,
      DATABASE_URL: pair.primary.url(database),
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: redis.prefix,
      JWT_SECRET: TEST_JWT_SECRET,
      PAIRLY_DATA_DIR: data.path,
      LOG_LEVEL: 'warn',
    };

    const startLoad = v['no-wait'] ? load1() : await waitForLowLoad(log);
    const variant = async (label: string, env: Record<string, string>) => {
      const node = await startNodeProcess({ ...baseEnv, ...env });
      try {
        const sessions = await Promise.all(members.map(async (m) => ({ token: (await logIn(node.url, m.email, SEED_PASSWORD)).accessToken, conversationId: m.conversation_id })));
        log(`${label}: node ${node.url} (${envLine(env) || 'primary only'})`);
        let n = 0;
        const request = async (i: number) => {
          const s = sessions[i]!;
          // Pages from the newest, and older ones: the seq anchor cycles through the conversation.
          const before = (n++ * 37) % (f.messages + 1);
          const path = `/api/conversations/${s.conversationId}/messages?limit=50${before > 50 ? `&before=${before}` : ''}`;
          const res = await fetch(`${node.url}${path}`, { headers: { authorization: `Bearer ${s.token}` }, signal: AbortSignal.timeout(30_000) }).catch((err: Error) => {
            throw new LoadError('FETCH_FAILED', err.message);
          });
          await res.arrayBuffer();
          if (!res.ok) throw new LoadError(`HTTP_${res.status}`, `${path}: ${res.status}`);
        };
        const before = await scrapeProbe(node.url);
        let start: { server: Awaited<ReturnType<typeof scrapeProbe>>; machine: ReturnType<typeof machineCpu>; primaryUs: number; replicaUs: number; at: number } | undefined;
        const run = await runLoop(
          { clients, setupMs: {}, request, close: async () => undefined },
          {
            label,
            inflight: 1,
            durationS: f.durationS,
            warmupS: f.warmupS,
            ratePerLoop: 0,
            onProgress: (s) => printer.update(s),
            onMeasureStart: () => {
              const snap = { machine: machineCpu(), primaryUs: instanceCpuUs(pair.primary.pid), replicaUs: instanceCpuUs(pair.replica.pid), at: performance.now() };
              void scrapeProbe(node.url).then((server) => (start = { ...snap, server }));
            },
          },
        );
        const end = { machine: machineCpu(), primaryUs: instanceCpuUs(pair.primary.pid), replicaUs: instanceCpuUs(pair.replica.pid), at: performance.now() };
        const after = await scrapeProbe(node.url);
        printer.end();
        const windowUs = start ? (end.at - start.at) * 1000 : 0;
        const machinePct = start ? machineBusyPct(start.machine, end.machine) : undefined;
        const row: SummaryRow = {
          scenario: 'history',
          target: label,
          run,
          ...(before && after ? { server: usageOf(before, start?.server, after) } : {}),
          ...(machinePct !== undefined ? { machinePct } : {}),
        };
        const pgPct = start && windowUs > 0 ? { primary: ((end.primaryUs - start.primaryUs) / windowUs) * 100, replica: ((end.replicaUs - start.replicaUs) / windowUs) * 100 } : undefined;
        return { row, pgPct };
      } finally {
        await node.stop();
      }
    };

    const replicaEnv = { DATABASE_REPLICA_URLS: pair.replica.url(database) };
    const results = [await variant('primary alone', {}), await variant('replica', replicaEnv), await variant('primary alone (again)', {})];

    console.log(
      `\nhistory pages of 50 over ${counts!.conversations} conversations of ~${f.messages} messages; ${clients} clients, closed loop, ${f.durationS} s per variant; load average at start ${startLoad.toFixed(2)}, at end ${load1().toFixed(2)}`,
    );
    console.log(summaryTable(results.map((r) => r.row)));
    console.log(`\nPostgreSQL CPU (% of one core; postmaster and backends): ${results.map((r) => `${r.row.target}: primary ${r.pgPct?.primary.toFixed(0) ?? '—'}%, replica ${r.pgPct?.replica.toFixed(0) ?? '—'}%`).join('; ')}`);
    console.log(cpuNote());
    const errors = results.reduce((a, r) => a + r.row.run.errors, 0);
    if (errors) console.log(`FAILED: ${errors} requests failed: ${results.map((r) => JSON.stringify(r.row.run.errorCodes)).join(' ')}`);
    return errors ? 1 : 0;
  } finally {
    await cleanups.run();
  }
}
