import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createRedisMatchQueue, type MatchQueue } from '../../../server/src/modules/match/match.queue.js';
import { createBacking, startNodeProcess, type Backing, type NodeProcess } from '../../support/pairly.js';
import { PG_BASE_URL, pgQuery, TEST_REDIS_URL } from '../../support/services.js';
import { assertLoopback } from './args.js';
import { CLEAN_OTHER_PCT, CORES, CpuWatch, fmtMs, load1, median, otherPct, pct, takeOverSigint, waitQuiet, type CpuWindow } from './ledger-match-machine.js';
import { MatchCrowd, signUpCrowd, type CrowdResult } from './match-crowd.js';
import { machineBusyPct, machineCpu, scrapeProbe, type ProcessSample } from './probe.js';

/**
 * `npm run bench -- match` (servers started here, on a database and Redis
 * prefix of their own) and `npm run load -- match --url ...` (servers that
 * are already running): random-match users cycling join → found → one
 * message each way → skip → requeued (see match-crowd.ts), with pairs/s,
 * time to pair, longest wait and double pairings.
 *
 * bench runs a matrix per round: 1 node then 2 nodes (real server processes,
 * startNodeProcess, sharing one database and Redis; clients spread over
 * them), and for each, every size of a standing queue: users put in the
 * Redis queue directly, through the server's own queue driver, whose
 * preferences exclude everyone (gender 'other', seeking only 'other', ages
 * 99-99 while they are 30), so that they wait for ever in front of the
 * cycling users, as unmatched users do.
 */

const BENCH_USAGE = `usage: npm run bench -- match [flags]
  --clients N            cycling users, one socket each (default 1000)
  --duration S           measured seconds per configuration (default 15)
  --warmup S             unmeasured seconds first (default 3)
  --rounds N             repeat the whole matrix N times (default 1)
  --timeout MS           ack timeout, and the longest a session may last before its user skips anyway (default 10000)
  --setup-concurrency N  sign-ups and connects at once (default 32)
direct invocation only (node --import tsx test/load/lib/match-bench.ts ...), or the env variable in brackets:
  --nodes LIST           node counts to measure, e.g. 1,2 (BENCH_MATCH_NODES; default 1,2)
  --standing LIST        standing queue sizes, e.g. 0,1000,10000 (BENCH_MATCH_STANDING; default 0,250,1000,10000)
  --pair-interval MS     MATCH_PAIR_INTERVAL_MS of the nodes (BENCH_MATCH_PAIR_INTERVAL_MS; default 300, the server default)
  --cooldown S           MATCH_COOLDOWN_SECONDS of the nodes (BENCH_MATCH_COOLDOWN_SECONDS; default 1)
  --interest-share X     share of users joining with one interest (default 0.3)
  --chat-inflight N      chat:send in flight per node at most, 0 = no cap (BENCH_MATCH_CHAT_INFLIGHT; default 4:
                         more can deadlock a node's pool of DATABASE_POOL_SIZE=10, see match-crowd.ts)
  --no-wait              do not wait for a load average below 1.2 before starting`;

const LOAD_USAGE = `usage: npm run load -- match --url URL [--url URL ...] [flags]
  --clients N            cycling users (default 200), signed up on the node they talk to
  --duration S           measured seconds (default 15)
  --warmup S             unmeasured seconds first (default 3)
  --timeout MS           ack timeout and longest session (default 10000)
  --setup-concurrency N  sign-ups and connects at once (default 16)
  --chat-inflight N      chat:send in flight per node at most, 0 = no cap (default 4: more can deadlock
                         a node's pool of the default DATABASE_POOL_SIZE=10, see match-crowd.ts)
Nodes with the default limits throttle this loop (RATE_LIMITED): start them with e.g.
  MATCH_SKIPS_PER_MINUTE=1000000 MATCH_COOLDOWN_SECONDS=1 CHAT_MESSAGES_PER_10S=1000000 \\
  CHAT_FLOOD_PER_5S=1000000 SOCKET_EVENTS_PER_SECOND=10000 SIGNUP_MAX_PER_IP=1000000 HTTP_MAX_REQUESTS_PER_IP=1000000`;

/** What the bench's nodes run with; everything else is Pairly's default. */
function benchEnv(pairIntervalMs: number, cooldownS: number): Record<string, string> {
  return {
    // Set-up only: one password hash per sign-up.
    ARGON2_MEMORY_KIB: '1024',
    // Sign-ups happen once per run; tokens must still be valid when later configurations connect.
    ACCESS_TOKEN_TTL_SECONDS: '3600',
    // The per-user limits would otherwise be what is measured: a cycling user skips, sends and
    // joins several times a second (defaults: 20 events/s per socket, 20 skips a minute,
    // 30 messages per 10 s, 10 per conversation per 5 s, 60 s before two users can meet again).
    SOCKET_EVENTS_PER_SECOND: '10000',
    MATCH_SKIPS_PER_MINUTE: '1000000',
    CHAT_MESSAGES_PER_10S: '1000000',
    CHAT_FLOOD_PER_5S: '1000000',
    MATCH_COOLDOWN_SECONDS: String(cooldownS),
    MATCH_PAIR_INTERVAL_MS: String(pairIntervalMs),
    LOG_LEVEL: 'warn',
  };
}

const RATE_LIMIT_WARNING =
  'warning: a node answered RATE_LIMITED: its per-user limits throttle this loop, so what follows measures them. ' +
  'Start the nodes with raised MATCH_SKIPS_PER_MINUTE, CHAT_MESSAGES_PER_10S, CHAT_FLOOD_PER_5S, SOCKET_EVENTS_PER_SECOND ' +
  '(and MATCH_COOLDOWN_SECONDS=0 or small), as npm run bench -- match does.';

function usageError(message: string, usage: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}
function num(name: string, raw: string | undefined, min: number, max: number, usage: string, integer = true): number {
  const n = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    usageError(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${raw}"`, usage);
  }
  return n;
}
function list(name: string, raw: string, min: number, max: number, usage: string): number[] {
  return raw.split(',').map((x) => num(name, x.trim(), min, max, usage));
}

/** The live line on stderr: rewritten in place on a terminal, one line per update otherwise. */
class LiveLine {
  private open = false;
  private readonly tty = Boolean(process.stderr.isTTY);
  update(text: string): void {
    if (this.tty) {
      process.stderr.write(`\r${text}\x1b[K`);
      this.open = true;
    } else process.stderr.write(`${text}\n`);
  }
  log(text: string): void {
    this.end();
    process.stderr.write(`${text}\n`);
  }
  end(): void {
    if (this.open) process.stderr.write('\n');
    this.open = false;
  }
}

interface ServerCpu {
  cpuPct: number | undefined;
  rssMb: number[];
}

/** Node CPU over a window from their /metrics (prom-client process metrics). */
function serverCpu(a: Array<ProcessSample | undefined>, b: Array<ProcessSample | undefined>): ServerCpu {
  let pctSum = 0;
  let known = true;
  const rssMb: number[] = [];
  a.forEach((x, i) => {
    const y = b[i];
    if (!x || !y || y.atMs <= x.atMs) known = false;
    else pctSum += ((y.cpuUs - x.cpuUs) / 1000 / (y.atMs - x.atMs)) * 100;
    if (y) rssMb.push(y.rssBytes / 1024 / 1024);
  });
  return { cpuPct: known ? pctSum : undefined, rssMb };
}

/** Runs the crowd for warm-up + window with a live line; returns the window's figures. */
async function runWindow(o: {
  label: string;
  crowd: MatchCrowd;
  urls: string[];
  warmupS: number;
  durationS: number;
  live: LiveLine;
  watch?: CpuWatch;
}): Promise<{ result: CrowdResult; server: ServerCpu; cpu: Partial<CpuWindow> & { selfPct: number; machinePct: number | undefined }; load1: number }> {
  const { crowd, live } = o;
  let phase = o.warmupS > 0 ? 'warmup' : 'measure';
  let phaseStart = performance.now();
  let last = phaseStart;
  const ticker = setInterval(() => {
    const now = performance.now();
    const s = crowd.snapshot();
    live.update(
      `[${o.label}${phase === 'warmup' ? ' warmup' : ''}] ${((now - phaseStart) / 1000).toFixed(1)}s  ` +
        `pairs ${Math.round((s.found / 2) * (1000 / (now - last)))}/s  waiting ${s.waiting}  in session ${s.inSession}  ` +
        `time-to-pair p99 ${fmtMs(s.ttpP99)} ms  errors ${s.errors}  double pairings ${s.doublePairings}`,
    );
    last = now;
  }, 1000);
  try {
    crowd.start();
    if (o.warmupS > 0) await sleep(o.warmupS * 1000);
    const [srv0, cpu0, self0, m0] = await Promise.all([
      Promise.all(o.urls.map((u) => scrapeProbe(u))),
      o.watch?.snapshot(),
      Promise.resolve(process.cpuUsage()),
      Promise.resolve(machineCpu()),
    ]);
    const t0 = performance.now();
    const startLoad = load1();
    phase = 'measure';
    phaseStart = performance.now();
    crowd.beginWindow();
    await sleep(o.durationS * 1000);
    const result = crowd.endWindow();
    const [srv1, cpu1] = await Promise.all([Promise.all(o.urls.map((u) => scrapeProbe(u))), o.watch?.snapshot()]);
    const selfUs = process.cpuUsage(self0);
    const ms = performance.now() - t0;
    const machinePct = machineBusyPct(m0, machineCpu());
    const w = cpu0 && cpu1 ? CpuWatch.window(cpu0, cpu1) : undefined;
    return {
      result,
      server: serverCpu(srv0, srv1),
      cpu: { ...w, selfPct: w?.selfPct ?? ((selfUs.user + selfUs.system) / 1000 / ms) * 100, machinePct: w?.machinePct ?? machinePct },
      load1: startLoad,
    };
  } finally {
    clearInterval(ticker);
    live.end();
  }
}

interface Row {
  round: number;
  nodes: number;
  standing: number;
  /** One pairing pass (the server's Lua script) over the standing queue alone, ms (median of 3). */
  passMs: number | undefined;
  result: CrowdResult;
  server: ServerCpu;
  cpu: Partial<CpuWindow> & { selfPct: number; machinePct: number | undefined };
  load1: number;
}

const otherOf = (r: Row) => otherPct(r.cpu.machinePct, [r.server.cpuPct, r.cpu.selfPct, r.cpu.pgPct, r.cpu.redisPct]);

function table(rows: Row[], withStanding: boolean): string {
  const head = [
    'nodes', 'cycling users', ...(withStanding ? ['standing waiters', 'pass over standing ms'] : []),
    'pairs/s', 'messages/s', 'time-to-pair p50 ms', 'p95 ms', 'p99 ms', 'longest wait ms', 'p50 / p99 with interest ms', 'p50 / p99 without ms',
    'waiting at end', 'double pairings', 'errors', 'servers CPU', 'server µs/pair', 'clients CPU', 'redis CPU', 'postgres CPU', 'other CPU', 'load avg',
  ];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---:').join(' | ')} |`];
  for (const r of rows) {
    const x = r.result;
    lines.push(
      `| ${[
        `${r.nodes}${rows.some((y) => y.round > 1) ? ` #${r.round}` : ''}`,
        x.users,
        ...(withStanding ? [r.standing, r.passMs === undefined ? '—' : fmtMs(r.passMs)] : []),
        x.pairsPerS.toFixed(0),
        x.messagesPerS.toFixed(0),
        fmtMs(x.ttp.p50),
        fmtMs(x.ttp.p95),
        fmtMs(x.ttp.p99),
        fmtMs(x.longestWaitMs),
        `${fmtMs(x.ttpWithInterests.p50)} / ${fmtMs(x.ttpWithInterests.p99)}`,
        `${fmtMs(x.ttpWithout.p50)} / ${fmtMs(x.ttpWithout.p99)}`,
        x.waitingAtEnd,
        x.doublePairings,
        x.errors,
        pct(r.server.cpuPct),
        r.server.cpuPct !== undefined && x.pairsPerS > 0 ? ((r.server.cpuPct * 10_000) / x.pairsPerS).toFixed(0) : '—',
        pct(r.cpu.selfPct),
        pct(r.cpu.redisPct),
        pct(r.cpu.pgPct),
        pct(otherOf(r)),
        r.load1.toFixed(2),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

function errorLines(rows: Row[]): string[] {
  return rows
    .filter((r) => r.result.errors > 0 || r.result.sessionTimeouts > 0)
    .map(
      (r) =>
        `errors with ${r.nodes} node(s), ${r.standing} standing: ${Object.entries(r.result.errorCodes).map(([c, n]) => `${c} ${n}`).join(', ') || 'none'}` +
        `${r.result.sessionTimeouts ? `; ${r.result.sessionTimeouts} sessions skipped after the ${'timeout'}` : ''}`,
    );
}

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The standing queue: unpairable users put in the Redis queue through the server's own driver. */
async function addStanding(queue: MatchQueue, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  const now = Date.now();
  for (let i = 0; i < ids.length; i += 500) {
    await Promise.all(
      ids.slice(i, i + 500).map((userId) =>
        queue.join(
          { userId, mode: 'text', socketId: 'bench-standing', interests: [], gender: 'other', age: 30, seeks: ['other'], ageMin: 99, ageMax: 99, blocked: [] },
          now,
        ),
      ),
    );
  }
  return ids;
}

async function removeStanding(queue: MatchQueue, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) await Promise.all(ids.slice(i, i + 500).map((id) => queue.end(id, Date.now(), 'leave')));
}

/** Time of one pairing pass over what is queued now, from this client (one round trip to Redis included). */
async function passMs(queue: MatchQueue): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const pairs = await queue.pair('text', Date.now(), [randomUUID()]);
    times.push(performance.now() - t0);
    if (pairs.length) throw new Error('a standing waiter was paired: the standing queue must be unpairable');
  }
  return median(times)!;
}

export async function runMatchBench(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        clients: { type: 'string', short: 'c', default: '1000' },
        duration: { type: 'string', short: 'd', default: '15' },
        warmup: { type: 'string', default: '3' },
        rounds: { type: 'string', default: '1' },
        timeout: { type: 'string', default: '10000' },
        'setup-concurrency': { type: 'string', default: '32' },
        nodes: { type: 'string', default: process.env.BENCH_MATCH_NODES ?? '1,2' },
        standing: { type: 'string', default: process.env.BENCH_MATCH_STANDING ?? '0,250,1000,10000' },
        'pair-interval': { type: 'string', default: process.env.BENCH_MATCH_PAIR_INTERVAL_MS ?? '300' },
        cooldown: { type: 'string', default: process.env.BENCH_MATCH_COOLDOWN_SECONDS ?? '1' },
        'interest-share': { type: 'string', default: '0.3' },
        'chat-inflight': { type: 'string', default: process.env.BENCH_MATCH_CHAT_INFLIGHT ?? '4' },
        'no-wait': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        // bench.ts's flags that do not apply here.
        mode: { type: 'string' },
        baseline: { type: 'string' },
        inflight: { type: 'string' },
        rate: { type: 'string' },
      },
    });
  } catch (err) {
    usageError((err as Error).message, BENCH_USAGE);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(BENCH_USAGE);
    process.exit(0);
  }
  if (v.mode !== undefined && v.mode !== 'cluster') usageError('the match bench runs cluster mode only (PostgreSQL + Redis): drop --mode', BENCH_USAGE);
  for (const f of ['inflight', 'rate', 'baseline'] as const) if (v[f] !== undefined) usageError(`--${f} does not apply to the match bench`, BENCH_USAGE);
  const extra = parsed.positionals.filter((p) => p !== 'match');
  if (extra.length) usageError(`unexpected argument(s): ${extra.join(' ')}`, BENCH_USAGE);
  const f = {
    clients: num('clients', v.clients, 2, 20_000, BENCH_USAGE),
    durationS: num('duration', v.duration, 1, 600, BENCH_USAGE, false),
    warmupS: num('warmup', v.warmup, 0, 60, BENCH_USAGE, false),
    rounds: num('rounds', v.rounds, 1, 10, BENCH_USAGE),
    timeoutMs: num('timeout', v.timeout, 100, 120_000, BENCH_USAGE),
    setupConcurrency: num('setup-concurrency', v['setup-concurrency'], 1, 256, BENCH_USAGE),
    nodes: list('nodes', v.nodes, 1, 8, BENCH_USAGE),
    standing: list('standing', v.standing, 0, 1_000_000, BENCH_USAGE),
    pairIntervalMs: num('pair-interval', v['pair-interval'], 20, 60_000, BENCH_USAGE),
    cooldownS: num('cooldown', v.cooldown, 0, 3600, BENCH_USAGE),
    interestShare: num('interest-share', v['interest-share'], 0, 1, BENCH_USAGE, false),
    chatInflight: num('chat-inflight', v['chat-inflight'], 0, 10_000, BENCH_USAGE),
    wait: !v['no-wait'],
  };

  const live = new LiveLine();
  const log = (m: string) => live.log(m);
  const cleanups: Array<() => Promise<unknown>> = [];
  const runCleanups = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((err) => log(`cleanup failed: ${String(err)}`));
  };
  takeOverSigint(runCleanups);
  const startLoad = f.wait ? await waitQuiet(log) : load1();

  let exitCode = 0;
  const nodes: NodeProcess[] = [];
  // A node whose pool deadlocked never finishes its graceful stop: SIGKILL after 15 s.
  const stopNodes = async (keep: number) => {
    while (nodes.length > keep) {
      const node = nodes.pop()!;
      const timer = setTimeout(() => {
        log(`node ${node.url} did not stop within 15 s of SIGTERM: SIGKILL`);
        void node.kill('SIGKILL');
      }, 15_000);
      await node.stop();
      clearTimeout(timer);
    }
  };
  try {
    const backing: Backing = await createBacking();
    cleanups.push(() => backing.cleanup());
    const dbName = new URL(backing.databaseUrl).pathname.slice(1);
    const env = { ...backing.env, ...benchEnv(f.pairIntervalMs, f.cooldownS) };
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 3 });
    cleanups.push(() => redis.quit());
    const admin = new pg.Client({ connectionString: `${PG_BASE_URL}/postgres` });
    await admin.connect();
    cleanups.push(() => admin.end());
    cleanups.push(() => stopNodes(0));
    const queue = createRedisMatchQueue(redis, backing.redisPrefix, 'bench-standing', { fallbackMs: 5000, cooldownMs: 0, scan: 500 });
    const watch = new CpuWatch({ admin, pgDatabase: dbName, redis });
    const ensureNodes = async (n: number) => {
      await stopNodes(n);
      while (nodes.length < n) nodes.push(await startNodeProcess(env, { port: await freeTcpPort() }));
    };

    log(
      `match bench: ${f.clients} cycling users, nodes ${f.nodes.join(' and ')}, standing queue ${f.standing.join(', ')}; ` +
        `${f.warmupS}s warm-up + ${f.durationS}s each, ${f.rounds} round(s); database ${dbName}, Redis prefix ${backing.redisPrefix}; ` +
        `node ${process.version}, ${CORES} cores, load average ${startLoad.toFixed(2)}`,
    );
    log(
      `nodes run with SOCKET_EVENTS_PER_SECOND=10000 MATCH_SKIPS_PER_MINUTE=1000000 CHAT_MESSAGES_PER_10S=1000000 CHAT_FLOOD_PER_5S=1000000 ` +
        `MATCH_COOLDOWN_SECONDS=${f.cooldownS} MATCH_PAIR_INTERVAL_MS=${f.pairIntervalMs} (MATCH_FALLBACK_MS default 5000), ARGON2_MEMORY_KIB=1024, ACCESS_TOKEN_TTL_SECONDS=3600; ` +
        `clients keep at most ${f.chatInflight || 'unlimited'} chat:send in flight per node`,
    );
    await ensureNodes(Math.max(...f.nodes));
    const t0 = performance.now();
    const users = await signUpCrowd([nodes[0]!.url], f.clients, f.setupConcurrency);
    log(`${users.length} users signed up in ${Math.round(performance.now() - t0)} ms`);

    const rows: Row[] = [];
    for (let round = 1; round <= f.rounds; round++) {
      // Alternate the order of the node counts from round to round.
      const order = round % 2 ? f.nodes : [...f.nodes].reverse();
      for (const n of order) {
        await ensureNodes(n);
        const urls = nodes.map((x) => x.url);
        for (const standing of f.standing) {
          const ids = await addStanding(queue, standing);
          const pass = standing > 0 ? await passMs(queue) : undefined;
          const crowd = new MatchCrowd({
            timeoutMs: f.timeoutMs,
            interestShare: f.interestShare,
            chatInflightPerNode: f.chatInflight,
            onNewErrorCode: (code, message) => log(`${code === 'RATE_LIMITED' ? RATE_LIMIT_WARNING + '\n' : ''}first ${code}: ${message}`),
          });
          const t1 = performance.now();
          await crowd.connect(
            users.map((u, i) => ({ ...u, url: urls[i % urls.length]! })),
            f.setupConcurrency,
          );
          const label = `match ${n} node${n > 1 ? 's' : ''}, ${standing} standing${f.rounds > 1 ? ` #${round}` : ''}`;
          log(`[${label}] ${crowd.size} sockets connected in ${Math.round(performance.now() - t1)} ms${pass !== undefined ? `; one pairing pass over the standing queue: ${fmtMs(pass)} ms` : ''}`);
          const w = await runWindow({ label, crowd, urls, warmupS: f.warmupS, durationS: f.durationS, live, watch });
          w.result.halfDelivered = await crowd.close();
          await removeStanding(queue, ids);
          // Disconnects take the users out of the queue on the server; wait for that before the next configuration.
          for (let i = 0; i < 50; i++) {
            const sizes = await queue.sizes();
            if (sizes.text + sizes.video === 0) break;
            await sleep(100);
          }
          rows.push({ round, nodes: n, standing, passMs: pass, ...w });
          const x = w.result;
          log(`[${label}] ${x.pairsPerS.toFixed(0)} pairs/s, time to pair p50 ${fmtMs(x.ttp.p50)} ms p99 ${fmtMs(x.ttp.p99)} ms, longest wait ${fmtMs(x.longestWaitMs)} ms, double pairings ${x.doublePairings}`);
        }
      }
    }
    await stopNodes(0);

    const check = await sessionCheck(backing.databaseUrl);
    const doubles = rows.reduce((s, r) => s + r.result.doublePairings, 0);
    const half = rows.reduce((s, r) => s + r.result.halfDelivered, 0);
    const lines = [
      '',
      table(rows, true),
      '',
      ...medianLines(rows),
      ...errorLines(rows),
      '',
      `Client-side double pairings (match:found while the user's session was still on): ${doubles}. Sessions found by only one of their two users: ${half}.`,
      `PostgreSQL match_sessions after every client left: ${check.sessions} sessions of ${check.users} users, ${check.open} never ended. ` +
        `A user's session starting before their previous one ended: ${check.overlaps}, of which ${check.overlapsSkipper} where the user had skipped the previous one ` +
        `(re-paired before that session's end was written; largest overlap ${check.maxOverlapMs === null ? '—' : `${fmtMs(check.maxOverlapMs)} ms`}) and ` +
        `${check.overlapOpen} where the previous one never ended (see the open sessions); any other: ${check.overlaps - check.overlapsSkipper - check.overlapOpen}.`,
      '',
      notes(f.timeoutMs),
    ];
    console.log(lines.join('\n'));
    // Double pairings fail the run; the two recording-order effects above are reported, not failed on.
    if (doubles > 0 || check.overlaps - check.overlapsSkipper - check.overlapOpen > 0) exitCode = 1;
  } catch (err) {
    log(`match bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    for (const n of nodes) log(`--- output of ${n.url} (last 2000 characters):\n${n.output().slice(-2000)}`);
    exitCode = 1;
  } finally {
    await runCleanups();
  }
  return exitCode;
}

function medianLines(rows: Row[]): string[] {
  const rounds = Math.max(...rows.map((r) => r.round));
  if (rounds < 2) return [];
  const out = [`Medians over rounds (rows with other CPU ≤ ${CLEAN_OTHER_PCT}% where there are any):`];
  const keys = [...new Set(rows.map((r) => `${r.nodes}|${r.standing}`))];
  for (const k of keys) {
    const all = rows.filter((r) => `${r.nodes}|${r.standing}` === k);
    const clean = all.filter((r) => (otherOf(r) ?? 0) <= CLEAN_OTHER_PCT);
    const use = clean.length ? clean : all;
    const m = (fn: (r: Row) => number) => median(use.map(fn)) ?? 0;
    out.push(
      `- ${all[0]!.nodes} node(s), ${all[0]!.standing} standing (${use.length} of ${all.length} rows): ${m((r) => r.result.pairsPerS).toFixed(0)} pairs/s, ` +
        `time to pair p50 ${fmtMs(m((r) => r.result.ttp.p50))} ms, p95 ${fmtMs(m((r) => r.result.ttp.p95))} ms, p99 ${fmtMs(m((r) => r.result.ttp.p99))} ms, ` +
        `longest wait ${fmtMs(m((r) => r.result.longestWaitMs))} ms`,
    );
  }
  return out;
}

function notes(timeoutMs: number): string {
  return [
    'Each cycling user: match:join (30% with one of 4 interests) → match:found → one chat:send each on the session conversation →',
    'the user with the smaller id skips (match:next, requeued at once) once its message is acked and the peer\'s has arrived; the peer gets',
    `match:ended and joins again. A session not done after ${timeoutMs} ms is skipped anyway. Time to pair: emit of match:join/match:next → match:found,`,
    'on the client, for every match:found that arrived in the window; pairs/s = match:found events in the window ÷ 2.',
    'CPU columns are % of one core (2 cores = 200%): servers = the Pairly node processes (their /metrics), clients = this process',
    '(all sockets), redis = the Redis server (INFO cpu, whole server), postgres = backends of the bench database, other = the rest of the machine.',
  ].join('\n');
}

async function sessionCheck(url: string) {
  const [r] = await pgQuery<{
    sessions: number;
    users: number;
    open: number;
    overlaps: number;
    overlaps_skipper: number;
    overlap_open: number;
    max_overlap_ms: number | null;
  }>(
    url,
    `WITH s AS (
       SELECT id, user_a AS u, started_at, ended_at, ended_by, end_reason FROM match_sessions
       UNION ALL SELECT id, user_b, started_at, ended_at, ended_by, end_reason FROM match_sessions
     ), o AS (
       SELECT u, started_at, lag(id) OVER w AS prev_id, lag(ended_at) OVER w AS prev_end,
              lag(ended_by) OVER w AS prev_by, lag(end_reason) OVER w AS prev_reason
       FROM s WINDOW w AS (PARTITION BY u ORDER BY started_at, id)
     )
     SELECT (SELECT count(*) FROM match_sessions)::int AS sessions,
            (SELECT count(DISTINCT u) FROM s)::int AS users,
            (SELECT count(*) FROM match_sessions WHERE ended_at IS NULL)::int AS open,
            count(*) FILTER (WHERE prev_id IS NOT NULL AND (prev_end IS NULL OR prev_end > started_at))::int AS overlaps,
            count(*) FILTER (WHERE prev_end > started_at AND prev_by = u AND prev_reason = 'skip')::int AS overlaps_skipper,
            count(*) FILTER (WHERE prev_id IS NOT NULL AND prev_end IS NULL)::int AS overlap_open,
            (max(extract(epoch FROM prev_end - started_at) * 1000) FILTER (WHERE prev_end > started_at))::float8 AS max_overlap_ms
     FROM o`,
  );
  return {
    sessions: r!.sessions,
    users: r!.users,
    open: r!.open,
    overlaps: r!.overlaps,
    overlapsSkipper: r!.overlaps_skipper,
    overlapOpen: r!.overlap_open,
    maxOverlapMs: r!.max_overlap_ms,
  };
}

/** `npm run load -- match --url ...`: the same crowd against running nodes (client-side checks only). */
export async function runMatchLoad(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string', multiple: true },
        clients: { type: 'string', short: 'c', default: '200' },
        duration: { type: 'string', short: 'd', default: '15' },
        warmup: { type: 'string', default: '3' },
        timeout: { type: 'string', default: '10000' },
        'setup-concurrency': { type: 'string', default: '16' },
        'chat-inflight': { type: 'string', default: '4' },
        help: { type: 'boolean', short: 'h', default: false },
        inflight: { type: 'string' },
        rate: { type: 'string' },
      },
    });
  } catch (err) {
    usageError((err as Error).message, LOAD_USAGE);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(LOAD_USAGE);
    process.exit(0);
  }
  for (const f of ['inflight', 'rate'] as const) if (v[f] !== undefined) usageError(`--${f} does not apply to the match scenario`, LOAD_USAGE);
  if (!v.url?.length) usageError('give at least one --url', LOAD_USAGE);
  const urls = v.url.map((u) => assertLoopback(u, LOAD_USAGE));
  const clients = num('clients', v.clients, 2, 20_000, LOAD_USAGE);
  const durationS = num('duration', v.duration, 1, 600, LOAD_USAGE, false);
  const warmupS = num('warmup', v.warmup, 0, 60, LOAD_USAGE, false);
  const timeoutMs = num('timeout', v.timeout, 100, 120_000, LOAD_USAGE);
  const setupConcurrency = num('setup-concurrency', v['setup-concurrency'], 1, 256, LOAD_USAGE);
  const chatInflight = num('chat-inflight', v['chat-inflight'], 0, 10_000, LOAD_USAGE);
  const live = new LiveLine();
  const log = (m: string) => live.log(m);
  for (const url of urls) {
    const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false);
    if (!ok) usageError(`${url}/healthz does not answer: is the node running?`, LOAD_USAGE);
  }
  let crowd: MatchCrowd | undefined;
  takeOverSigint(async () => void (await crowd?.close()));
  log(`load match: ${clients} cycling users over ${urls.length} node(s), ${warmupS}s warm-up + ${durationS}s; load average ${load1().toFixed(2)}`);
  let rateLimited = false;
  crowd = new MatchCrowd({
    timeoutMs,
    interestShare: 0.3,
    chatInflightPerNode: chatInflight,
    onNewErrorCode: (code, message) => {
      if (code === 'RATE_LIMITED') {
        rateLimited = true;
        log(RATE_LIMIT_WARNING);
      }
      log(`first ${code}: ${message}`);
    },
  });
  const t0 = performance.now();
  const users = await signUpCrowd(urls, clients, setupConcurrency);
  const signupMs = Math.round(performance.now() - t0);
  await crowd.connect(users, setupConcurrency);
  log(`${users.length} users signed up in ${signupMs} ms, connected in ${Math.round(performance.now() - t0 - signupMs)} ms`);
  const w = await runWindow({ label: `match ×${urls.length}`, crowd, urls, warmupS, durationS, live });
  w.result.halfDelivered = await crowd.close();
  const row: Row = { round: 1, nodes: urls.length, standing: 0, passMs: undefined, ...w };
  console.log(
    [
      '',
      table([row], false),
      ...errorLines([row]),
      '',
      `Client-side double pairings: ${row.result.doublePairings}. Sessions found by only one of their two users: ${row.result.halfDelivered}. ` +
        `(No database check: load does not own the nodes' database.)`,
      `Node RSS MB at the end: ${w.server.rssMb.map((x) => x.toFixed(0)).join(', ') || '—'}. Redis and PostgreSQL are not watched here: their CPU is in "other".`,
      ...(rateLimited ? ['', RATE_LIMIT_WARNING] : []),
      '',
      notes(timeoutMs),
    ].join('\n'),
  );
  return row.result.errors > 0 || row.result.doublePairings > 0 ? 1 : 0;
}

// `node --import tsx test/load/lib/match-bench.ts [flags]`: the bench without bench.ts.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exit(await runMatchBench(process.argv.slice(2)));
}
