import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { createBacking, startInProcess, startNodeProcess, tempDir, type InProcessNode, type NodeProcess } from '../../support/pairly.js';
import { fund } from '../../support/ledger.js';
import { Redis } from 'ioredis';
import { createRedisPrefix, TEST_REDIS_URL } from '../../support/services.js';
import { numberFlag, parseCli, usageError } from './args.js';
import { ChatDriver, startRelay } from './chat-children.js';
import { pgPidsFor, PidSampler, scrapeHeap, servicesCpuUs, servicesPct, targetUse } from './chat-probe.js';
import { chatLoopFlags } from './chat-protocol.js';
import {
  accountingLines,
  ChatProgressPrinter,
  cpuNote,
  deliveryTable,
  failed,
  medianRatioLine,
  ratioLine,
  resourceTable,
  setupLine,
  type ChatRow,
} from './chat-report.js';
import { machineBusyPct, machineCpu } from './probe.js';
import { pool } from './sessions.js';

/**
 * `npm run bench -- chat [flags]` (bench.ts hands this script the command
 * line; or `node --import tsx test/load/lib/chat-bench.ts [flags]`): starts
 * Pairly (one node in this process, or two node processes joined by Redis)
 * and the bare relay (one process, or two joined by the same Redis adapter),
 * and drives both, round after round, with the identical client loop in a
 * driver child process. Results: BENCHMARKS.md, Chat.
 */

export const USAGE = `usage: npm run bench -- chat [flags]
  --clients N            connected clients, an even number: client i talks to client i^1 (default 1000)
  --rate R               messages per second in total over all senders (default 500)
  --senders N            clients that send, 0 = all (default 0)
  --duration S           measured seconds (default 10)
  --warmup S             sending but not measured first (default 2)
  --settle S             idle seconds after connecting, before sending (default 3)
  --grace MS             after the window, wait up to this long for deliveries still on their way (default 3000)
  --timeout MS           ack timeout per message (default 5000)
  --max-inflight N       unanswered sends at most; a send due beyond that is skipped and counted (default: 2 × rate, ≥ 200)
  --body N               characters per message body (default 64)
  --no-receipts          recipients do not answer with chat:delivered
  --role fan|creator     who the (unpriced) users are (default fan)
  --priced               every pair is a fan and a creator charging 1 credit per message; fans are funded
  --nodes 1|2            one Pairly node in this process, or two node processes joined by Redis (default 1)
  --mode cluster|embedded  one node only: local PostgreSQL + Redis (default), or PGlite in a temp dir
  --baseline bare|none   also measure the bare socket.io relay (default bare)
  --rounds N             alternate bare and Pairly N times (default 1)
  --setup-concurrency N  sign-ups, conversations and connects at once (default 32)
  --env KEY=VALUE        extra setting for the Pairly nodes (repeatable), e.g. --env DATABASE_POOL_SIZE=20
  --redis-stats          per round, Redis commands per delivered message (INFO commandstats over the window;
                         the Redis server is shared, so other clients' commands count too)
  --quiet PCT            before each round, with every client connected and idle, wait until the whole machine
                         is busy at most PCT % of one core over 2 s (default 30; 0 = do not wait)
  --quiet-wait S         give up waiting for quiet after S seconds and run anyway (default 600)`;

/**
 * Pairly's settings for the bench; everything else is its default. The chat
 * limits (30 messages per 10 s per user, 10 per 5 s per conversation) and
 * the 20 events/s per socket would otherwise be what is measured.
 */
export const CHAT_BENCH_ENV = {
  ARGON2_MEMORY_KIB: '1024',
  SOCKET_EVENTS_PER_SECOND: '10000',
  CHAT_MESSAGES_PER_10S: '1000000',
  CHAT_FLOOD_PER_5S: '1000000',
  // Users are signed up once and reused by every round.
  ACCESS_TOKEN_TTL_SECONDS: '3600',
};

const FAN_CREDITS = 1_000_000;

interface NodeHandle {
  url: string;
  sampler: PidSampler;
}

interface Target {
  name: string;
  urls: string[];
  auth: boolean;
  nodes: NodeHandle[];
  /** Pairly's database in cluster mode: its backends count as the target's PostgreSQL CPU. */
  database?: string;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseCli(USAGE, {
    args: argv,
    options: {
      clients: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '500' },
      senders: { type: 'string', default: '0' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      settle: { type: 'string', default: '3' },
      grace: { type: 'string', default: '3000' },
      timeout: { type: 'string', default: '5000' },
      'max-inflight': { type: 'string', default: '0' },
      body: { type: 'string', default: '64' },
      'no-receipts': { type: 'boolean', default: false },
      priced: { type: 'boolean', default: false },
      role: { type: 'string', default: 'fan' },
      nodes: { type: 'string', default: '1' },
      mode: { type: 'string', default: 'cluster' },
      baseline: { type: 'string', default: 'bare' },
      rounds: { type: 'string', default: '1' },
      'setup-concurrency': { type: 'string', default: '32' },
      env: { type: 'string', multiple: true },
      quiet: { type: 'string', default: '30' },
      'redis-stats': { type: 'boolean', default: false },
      'quiet-wait': { type: 'string', default: '600' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
    strict: true,
  });
  const { clients, rate, concurrency, settleS, loop } = chatLoopFlags(values, USAGE);
  const nodes = numberFlag('nodes', values.nodes, 1, 2, USAGE);
  const rounds = numberFlag('rounds', values.rounds, 1, 10, USAGE);
  const mode = values.mode;
  if (mode !== 'cluster' && mode !== 'embedded') usageError('--mode must be cluster or embedded', USAGE);
  if (mode === 'embedded' && nodes === 2) usageError('two nodes need Redis and PostgreSQL: --mode embedded is for --nodes 1', USAGE);
  if (values.baseline !== 'bare' && values.baseline !== 'none') usageError('--baseline must be bare or none', USAGE);
  const role = values.role;
  if (role !== 'fan' && role !== 'creator') usageError('--role must be fan or creator', USAGE);
  if (values.priced && role !== 'fan') usageError('--priced makes its own fan/creator pairs: leave out --role', USAGE);
  const priced = values.priced;
  const quietPct = numberFlag('quiet', values.quiet, 0, 200, USAGE, false);
  const quietWaitS = numberFlag('quiet-wait', values['quiet-wait'], 0, 3600, USAGE, false);
  const extraEnv: Record<string, string> = {};
  for (const kv of values.env ?? []) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(kv);
    if (!m) usageError(`--env takes KEY=VALUE, got "${kv}"`, USAGE);
    extraEnv[m[1]!] = m[2]!;
  }

  const printer = new ChatProgressPrinter();
  const cleanups: Array<() => Promise<void>> = [];
  // Bounded: a node that hangs in shutdown (e.g. a stuck database pool) must not keep the bench alive.
  // Dropping the database (WITH FORCE) and the Redis keys still runs after it.
  const runCleanups = async () => {
    // Dropping the database WITH (FORCE) ends the connections of a node stuck inside transactions; pg emits
    // that on the checked-out clients, which have no error listener. It is expected here, not a crash.
    process.on('uncaughtException', (err: Error & { code?: string }) => {
      if (err.code === '57P01') return;
      printer.log(`uncaught during clean-up: ${err.stack ?? err.message}`);
      process.exitCode = 1;
    });
    for (const c of cleanups.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          printer.log('cleanup step did not finish within 30 s; moving on');
          resolve();
        }, 30_000);
      });
      await Promise.race([c().catch((err) => printer.log(`cleanup failed: ${err}`)), deadline]);
      clearTimeout(timer);
    }
  };
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    printer.log('interrupted: cleaning up');
    void runCleanups().finally(() => process.exit(130));
  });

  const header = [
    `bench chat: ${clients} clients (${clients / 2} conversations), ${rate} msg/s in total from ${loop.senders || clients} senders, ` +
      `${loop.warmupS}s warm-up + ${loop.durationS}s, receipts ${loop.receipts ? 'on' : 'off'}, ${priced ? 'priced (fan → creator 1 credit, creator → fan free)' : `users: ${role}s`}, ` +
      `${nodes} node(s)${nodes === 1 ? `, ${mode} mode` : ''}, ${rounds} round(s)`,
    `node ${process.version}, ${cpus().length} cores, commit ${git(['rev-parse', '--short', 'HEAD'])}` +
      `${git(['status', '--porcelain', '--', 'server', 'shared']) ? ' + uncommitted changes in server/ or shared/' : ''}, ` +
      `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  ];
  for (const h of header) printer.log(h);

  const redisStats = values['redis-stats'] ? new Redis(TEST_REDIS_URL, { lazyConnect: true }) : undefined;
  if (redisStats) {
    await redisStats.connect();
    cleanups.push(async () => void redisStats.disconnect());
  }
  const commandStats = async () => {
    const text = (await redisStats?.info('commandstats')) ?? '';
    return new Map([...text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
  };
  const redisLines: string[] = [];
  const rows: ChatRow[] = [];
  const setups: string[] = [];
  const nodeLogs: Array<() => string> = [];
  const nodeOutput = () => nodeLogs.map((l) => l()).filter((l) => !l.endsWith(': '));
  let names: string[] = [];
  try {
    const targets: Target[] = [];

    // The bare relay: one process, or two joined by the sharded Redis adapter.
    if (values.baseline === 'bare') {
      const prefix = nodes === 2 ? createRedisPrefix() : undefined;
      if (prefix) cleanups.push(() => prefix.cleanup());
      const relays = [];
      for (let n = 0; n < nodes; n++) {
        const relay = await startRelay(prefix && { url: TEST_REDIS_URL, prefix: prefix.prefix });
        cleanups.push(() => relay.stop());
        relays.push(relay);
      }
      targets.push({ name: nodes === 2 ? 'bare relay ×2' : 'bare relay', urls: relays.map((r) => r.url), auth: false, nodes: relays });
      printer.log(`bare relay: ${relays.map((r) => r.url).join(', ')}${prefix ? ` (sharded Redis adapter, prefix ${prefix.prefix})` : ''}`);
    }

    // Pairly, and who funds its fans.
    let funder: (userIds: string[]) => Promise<void> = async () => {
      throw new Error('no funding without --priced');
    };
    const fundAll = async (node: InProcessNode, userIds: string[]) => {
      await pool(userIds.length, 8, (i) => fund(node.pairly, userIds[i]!, FAN_CREDITS));
    };
    if (nodes === 1) {
      let env: Record<string, string> = { ...CHAT_BENCH_ENV, LOG_LEVEL: 'silent', ...extraEnv };
      if (mode === 'cluster') {
        const backing = await createBacking();
        cleanups.push(() => backing.cleanup());
        env = { ...backing.env, ...env };
        printer.log(`cluster mode: database ${new URL(backing.databaseUrl).pathname.slice(1)}, Redis prefix ${backing.redisPrefix}`);
      } else {
        const dir = tempDir('pairly-chat-bench');
        cleanups.push(async () => dir.remove());
        env.PAIRLY_DATA_DIR = dir.path;
        printer.log(`embedded mode: PGlite in ${dir.path}`);
      }
      const node = await startInProcess(env);
      cleanups.push(() => node.stop());
      const sampler = new PidSampler(process.pid, async () => process.memoryUsage().heapUsed);
      cleanups.push(async () => sampler.stop());
      funder = (ids) => fundAll(node, ids);
      targets.push({ name: `pairly ${mode}`, urls: [node.url], auth: true, nodes: [{ url: node.url, sampler }], ...(env.DATABASE_URL ? { database: new URL(env.DATABASE_URL).pathname.slice(1) } : {}) });
      printer.log(`Pairly on ${node.url} (this process)`);
    } else {
      const backing = await createBacking();
      cleanups.push(() => backing.cleanup());
      const env = { ...backing.env, ...CHAT_BENCH_ENV, LOG_LEVEL: 'warn', ...extraEnv };
      const procs: NodeProcess[] = [];
      for (let n = 0; n < 2; n++) {
        const p = await startNodeProcess(env);
        cleanups.push(async () => void (await p.stop()));
        procs.push(p);
        nodeLogs.push(() => `${p.url}: ${p.output().trim().split('\n').slice(-20).join('\n')}`);
      }
      const handles = procs.map((p) => {
        const sampler = new PidSampler(p.child.pid!, () => scrapeHeap(p.url));
        cleanups.push(async () => sampler.stop());
        return { url: p.url, sampler };
      });
      // The nodes are separate processes: a short-lived in-process node on the same backing holds the ledger for funding.
      funder = async (ids) => {
        const node = await startInProcess({ ...env, LOG_LEVEL: 'silent' });
        try {
          await fundAll(node, ids);
        } finally {
          await node.stop();
        }
      };
      targets.push({ name: 'pairly ×2', urls: procs.map((p) => p.url), auth: true, nodes: handles, database: new URL(backing.databaseUrl).pathname.slice(1) });
      printer.log(
        `Pairly: two node processes ${procs.map((p) => `${p.url} (pid ${p.child.pid})`).join(', ')}, database ` +
          `${new URL(backing.databaseUrl).pathname.slice(1)}, Redis prefix ${backing.redisPrefix}`,
      );
    }
    printer.log(
      `Pairly limits raised for the bench: SOCKET_EVENTS_PER_SECOND=10000 (default 20), CHAT_MESSAGES_PER_10S and ` +
        `CHAT_FLOOD_PER_5S=1000000 (defaults 30 and 10; the limiters still run on every message); ARGON2_MEMORY_KIB=1024 for the sign-ups` +
        (Object.keys(extraEnv).length ? `; --env ${Object.entries(extraEnv).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''),
    );
    names = targets.map((t) => t.name);

    const driver = new ChatDriver(printer, (ids) => funder(ids));
    cleanups.push(() => driver.stop());
    const pairlyTarget = targets.find((t) => t.auth)!;
    driver.send({ type: 'prepare', urls: pairlyTarget.urls, clients, price: priced ? 1 : 0, role, concurrency });
    const prepared = await driver.wait('prepared', 30 * 60_000);
    setups.push(setupLine('pairly users', prepared.setupMs));

    const roundBudgetMs = 10 * 60_000 + (loop.warmupS + loop.durationS) * 1000 + loop.timeoutMs + loop.graceMs;
    for (let r = 1; r <= rounds && !interrupted; r++) {
      for (const t of targets) {
        const label = rounds > 1 ? `${t.name} #${r}` : t.name;
        driver.send({ type: 'round', label, urls: t.urls, clients, auth: t.auth, settleS, concurrency, loop });
        const ready = await driver.wait('ready', roundBudgetMs);
        if (quietPct > 0) await waitForQuiet(quietPct, quietWaitS, label, (m) => printer.log(m));
        const before = await Promise.all(t.nodes.map((n) => n.sampler.sample()));
        for (const n of t.nodes) n.sampler.resetPeak();
        driver.send({ type: 'go' });

        await driver.wait('measure-start', roundBudgetMs);
        const markStart = process.hrtime.bigint() / 1000n;
        const redis0 = redisStats ? commandStats() : undefined;
        const load1 = loadavg()[0];
        const start = { nodes: await Promise.all(t.nodes.map((n) => n.sampler.sample(false))), machine: machineCpu(), services: servicesCpuUs() };
        const pgPids0 = await pgPidsFor(t.database);
        await driver.wait('measure-end', roundBudgetMs);
        const end = { nodes: await Promise.all(t.nodes.map((n) => n.sampler.sample(false))), machine: machineCpu(), services: servicesCpuUs() };
        const redis1 = redisStats ? await commandStats() : undefined;
        const pgPids = new Set([...pgPids0, ...(await pgPidsFor(t.database))]);
        // With --cpu-prof, these bracket the window in the profile's clock (µs of the monotonic clock).
        if (process.env.CHAT_BENCH_MARKS) printer.log(`[${label}] window monotonic µs ${markStart}–${process.hrtime.bigint() / 1000n}`);
        const { result } = await driver.wait('result', roundBudgetMs);
        printer.end();
        const after = await Promise.all(t.nodes.map((n) => n.sampler.sample()));
        driver.send({ type: 'close-round' });
        await driver.wait('round-closed', 60_000);

        const server = targetUse(
          t.nodes.map((n, i) => ({
            before: before[i]!,
            start: start.nodes[i]!,
            end: end.nodes[i]!,
            after: after[i]!,
            peakBytes: n.sampler.peakRssBytes,
          })),
        );
        rows.push({
          target: label,
          result,
          server,
          ...servicesPct(start.services, end.services, pgPids),
          ...(load1 !== undefined ? { load1 } : {}),
          ...(() => {
            const m = machineBusyPct(start.machine, end.machine);
            return m === undefined ? {} : { machinePct: m };
          })(),
        });
        setups.push(setupLine(label, ready.setupMs));
        if (redis0 && redis1) {
          const before0 = await redis0;
          const delivered = result.deliveredRate * result.windowS;
          const perMsg = [...redis1]
            .map(([cmd, n]) => [cmd, (n - (before0.get(cmd) ?? 0)) / Math.max(1, delivered)] as const)
            .filter(([, v]) => v >= 0.005)
            .sort((a, b) => b[1] - a[1]);
          const total = perMsg.reduce((a, [, v]) => a + v, 0);
          redisLines.push(`${label}: ${total.toFixed(1)} Redis commands per delivered message: ${perMsg.map(([c, v]) => `${c} ${v.toFixed(2)}`).join(', ')}`);
        }
      }
    }
  } catch (err) {
    printer.end();
    if (!interrupted) printer.log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    for (const l of nodeOutput()) printer.log(l);
    await runCleanups();
    return interrupted ? 130 : 1;
  }
  if (interrupted) {
    await runCleanups();
    return 130;
  }

  const lines = ['', ...header, '', deliveryTable(rows), '', resourceTable(rows), ''];
  if (names.length === 2) {
    const pairs = Array.from({ length: rows.length / 2 }, (_, r) => [rows[2 * r + 1]!, rows[2 * r]!] as [ChatRow, ChatRow]);
    if (pairs.length === 1) lines.push(ratioLine('Pairly/bare', ...pairs[0]!));
    else {
      pairs.forEach((p, r) => lines.push(ratioLine(`Pairly/bare round ${r + 1}`, ...p)));
      lines.push(medianRatioLine('Pairly/bare', pairs));
    }
    lines.push('');
  }
  lines.push(...accountingLines(rows), '', cpuNote('bench'), ...setups);
  if (redisLines.length) lines.push('', ...redisLines);
  lines.push(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const logs = nodeOutput();
  if (logs.length) lines.push('', 'Pairly node output (LOG_LEVEL=warn):', ...logs);
  // Printed before the clean-up, which a stuck node can make slow.
  console.log(lines.join('\n'));
  await runCleanups();
  return failed(rows) ? 1 : 0;
}

/**
 * The machine is shared: with this round's clients connected and idle, wait
 * until the whole machine (everything: other people's tests, PostgreSQL,
 * Redis, these idle processes) is busy at most `pct` % of one core over 2 s.
 */
async function waitForQuiet(pct: number, maxS: number, label: string, log: (m: string) => void): Promise<void> {
  const deadline = performance.now() + maxS * 1000;
  for (let said = false; ; said = true) {
    const a = machineCpu();
    await sleep(2000);
    const busy = (machineBusyPct(a, machineCpu()) ?? 0) * cpus().length;
    if (busy <= pct) {
      if (said) log(`[${label}] machine quiet (${busy.toFixed(0)}% of a core busy): starting`);
      return;
    }
    if (performance.now() > deadline) {
      log(`[${label}] machine still busy (${busy.toFixed(0)}% of a core) after ${maxS}s: starting anyway`);
      return;
    }
    if (!said) log(`[${label}] machine busy (${busy.toFixed(0)}% of a core with these clients idle): waiting for ≤ ${pct}%`);
  }
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '?';
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(await main(process.argv.slice(2)));
}
