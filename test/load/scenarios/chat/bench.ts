import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from '../../../support/services.js';
import { choiceFlag, envFlag, numberFlag, parseCli, usageError } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { machineBusyPct, machineCpu, waitForQuiet } from '../../lib/probe.js';
import { ProgressPrinter } from '../../lib/progress.js';
import { ChatDriver } from './children.js';
import { pgPidsFor, servicesCpuUs, servicesPct, targetUse } from './probe.js';
import { chatLoopFlags, chatLoopOptions, chatLoopUsage, type ChatDefaults } from './protocol.js';
import { accountingLines, cpuNote, deliveryTable, failed, medianRatioLine, ratioLine, reactionLine, resourceTable, setupLine, type ChatRow } from './report.js';
import { startRedisCluster } from '../../../support/redis-cluster.js';
import { redisCpuLine } from './probe.js';
import { startTargets } from './targets.js';
import { seedHistory } from './history.js';

/**
 * `npm run bench -- chat [flags]`: starts Pairly (one node in this process,
 * or two node processes joined by Redis) and the bare relay (one process, or
 * two joined by the same Redis adapter), see targets.ts, and drives both,
 * round after round, with the identical client loop in a driver child
 * process. Results: BENCHMARKS.md, Chat.
 */

const DEFAULTS: ChatDefaults = { clients: '1000', rate: '500', settle: '3' };

const USAGE = `usage: npm run bench -- chat [flags]
${chatLoopUsage(DEFAULTS)}
  --nodes 1|2            one Pairly node in this process, or two node processes joined by Redis (default 1)
  --mode cluster|embedded  one node only: local PostgreSQL + Redis (default), or PGlite in a temp dir
  --baseline bare|none   also measure the bare socket.io relay (default bare)
  --rounds N             alternate bare and Pairly N times (default 1)
  --env KEY=VALUE        extra setting for the Pairly nodes (repeatable), e.g. --env DATABASE_POOL_SIZE=20
  --redis-cluster        two nodes only: also two nodes on a three-master Redis Cluster started here (ports 7101-7106,
                         one replica each), same database and users; Redis CPU per redis-server process per round
  --redis-stats          per round, Redis commands per delivered message (INFO commandstats over the window;
                         the Redis server is shared, so other clients' commands count too)
  --quiet PCT            before each round, with every client connected and idle, wait until the whole machine
                         is busy at most PCT % of one core over 2 s (default 30; 0 = do not wait)
  --quiet-wait S         give up waiting for quiet after S seconds and run anyway (default 600)
  --history N            cluster mode: messages each conversation holds before the first round, then ANALYZE
                         (default 20; 0 = start on empty, never-analyzed tables; see chat/history.ts)`;

export async function benchChat(argv: string[]): Promise<number> {
  const { values } = parseCli(USAGE, {
    args: argv,
    options: {
      ...chatLoopOptions(DEFAULTS),
      nodes: { type: 'string', default: '1' },
      mode: { type: 'string', default: 'cluster' },
      baseline: { type: 'string', default: 'bare' },
      rounds: { type: 'string', default: '1' },
      env: { type: 'string', multiple: true },
      quiet: { type: 'string', default: '30' },
      'redis-stats': { type: 'boolean', default: false },
      'redis-cluster': { type: 'boolean', default: false },
      'quiet-wait': { type: 'string', default: '600' },
      history: { type: 'string', default: '20' },
    },
    allowPositionals: false,
    strict: true,
  });
  const { clients, rate, concurrency, settleS, loop, role, priced } = chatLoopFlags(values, USAGE);
  const nodes = numberFlag('nodes', values.nodes, 1, 2, USAGE);
  const rounds = numberFlag('rounds', values.rounds, 1, 10, USAGE);
  const mode = choiceFlag('mode', values.mode, ['cluster', 'embedded'], USAGE);
  if (mode === 'embedded' && nodes === 2) usageError('two nodes need Redis and PostgreSQL: --mode embedded is for --nodes 1', USAGE);
  const baseline = choiceFlag('baseline', values.baseline, ['bare', 'none'], USAGE);
  const quietPct = numberFlag('quiet', values.quiet, 0, 200, USAGE, false);
  const quietWaitS = numberFlag('quiet-wait', values['quiet-wait'], 0, 3600, USAGE, false);
  const extraEnv = envFlag(values.env, USAGE);
  const history = numberFlag('history', values.history, 0, 10_000, USAGE);
  if (values['redis-cluster'] && nodes !== 2) usageError('--redis-cluster compares two nodes on one Redis with two on a cluster: use --nodes 2', USAGE);

  const printer = new ProgressPrinter();
  // Bounded: a node that hangs in shutdown (e.g. a stuck database pool) must not keep the bench alive.
  // Dropping the database (WITH FORCE) and the Redis keys still runs after it.
  const cleanups = new Cleanups((m) => printer.log(m), 30_000);
  let interrupted = false;
  cleanups.onSigint(undefined, () => (interrupted = true));

  const header = [
    `bench chat: ${clients} clients (${clients / 2} conversations), ${loop.closed ? `closed loop (${loop.closed} in flight per sender)` : `${rate} msg/s in total`} from ${loop.senders || clients} senders, ` +
      `${loop.warmupS}s warm-up + ${loop.durationS}s, receipts ${loop.receipts ? 'on' : 'off'}, ${loop.reactions ? `${loop.reactions} reactions/s (Pairly only), ` : ''}${priced ? 'priced (fan → creator 1 credit, creator → fan free)' : `users: ${role}s`}, ` +
      `${nodes} node(s)${nodes === 1 ? `, ${mode} mode` : ''}, ${rounds} round(s)`,
    `node ${process.version}, ${cpus().length} cores, commit ${git(['rev-parse', '--short', 'HEAD'])}` +
      `${git(['status', '--porcelain', '--', 'server', 'shared']) ? ' + uncommitted changes in server/ or shared/' : ''}, ` +
      `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  ];
  for (const h of header) printer.log(h);

  const redisStats = values['redis-stats'] ? new Redis(TEST_REDIS_URL, { lazyConnect: true }) : undefined;
  if (redisStats) {
    await redisStats.connect();
    cleanups.add(() => redisStats.disconnect());
  }
  const commandStats = async () => {
    const text = (await redisStats?.info('commandstats')) ?? '';
    return new Map([...text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
  };
  const redisLines: string[] = [];
  const rows: ChatRow[] = [];
  const setups: string[] = [];
  let nodeOutput = (): string[] => [];
  let names: string[] = [];
  try {
    const redisCluster = values['redis-cluster'] ? await startRedisCluster() : undefined;
    if (redisCluster) {
      cleanups.add(() => redisCluster.stop());
      printer.log(`Redis Cluster: masters on ${(await redisCluster.masters()).join(', ')}, replicas on the others of ${redisCluster.ports.join(', ')}`);
    }
    const started = await startTargets({ nodes, mode, baseline, extraEnv, redisCluster, cleanups, printer });
    const { targets } = started;
    nodeOutput = started.nodeOutput;
    names = targets.map((t) => t.name);

    const driver = new ChatDriver(printer, (ids) => started.fund(ids));
    cleanups.add(() => driver.stop());
    const pairlyTarget = targets.find((t) => t.auth)!;
    driver.send({ type: 'prepare', urls: pairlyTarget.urls, clients, price: priced ? 1 : 0, role, concurrency });
    const prepared = await driver.wait('prepared', 30 * 60_000);
    setups.push(setupLine('pairly users', prepared.setupMs));
    if (history > 0 && pairlyTarget.databaseUrl) {
      const seeded = await seedHistory(pairlyTarget.databaseUrl, history);
      printer.log(`history: ${seeded.conversations} conversations hold ${history} messages each before the first round; tables analyzed (${seeded.ms} ms)`);
    }

    const roundBudgetMs = 10 * 60_000 + (loop.warmupS + loop.durationS) * 1000 + loop.timeoutMs + loop.graceMs;
    for (let r = 1; r <= rounds && !interrupted; r++) {
      for (const t of targets) {
        const label = rounds > 1 ? `${t.name} #${r}` : t.name;
        driver.send({ type: 'round', label, urls: t.urls, clients, auth: t.auth, settleS, concurrency, loop });
        const ready = await driver.wait('ready', roundBudgetMs);
        if (quietPct > 0) await quiet(quietPct, quietWaitS, label, (m) => printer.log(m));
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
        if (redisCluster) redisLines.push(`${label}: ${redisCpuLine(start.services, end.services)} (cluster masters: ${(await redisCluster.masters()).join(', ')})`);
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
    await cleanups.run();
    return interrupted ? 130 : 1;
  }
  if (interrupted) {
    await cleanups.run();
    return 130;
  }

  const lines = ['', ...header, '', deliveryTable(rows), '', resourceTable(rows), ''];
  if (names.length === 2) {
    // The second target over the first: Pairly over the bare relay, or (--redis-cluster --baseline none) the Cluster over one Redis.
    const ratio = baseline === 'bare' ? 'Pairly/bare' : 'redis-cluster/single Redis';
    const pairs = Array.from({ length: rows.length / 2 }, (_, r) => [rows[2 * r + 1]!, rows[2 * r]!] as [ChatRow, ChatRow]);
    if (pairs.length === 1) lines.push(ratioLine(ratio, ...pairs[0]!));
    else {
      pairs.forEach((p, r) => lines.push(ratioLine(`${ratio} round ${r + 1}`, ...p)));
      lines.push(medianRatioLine(ratio, pairs));
    }
    lines.push('');
  }
  lines.push(...accountingLines(rows), '', cpuNote('bench'), ...setups);
  for (const r of rows) if (r.result.reactions) lines.push(reactionLine(r.target, r.result.reactions));
  if (redisLines.length) lines.push('', ...redisLines);
  lines.push(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const logs = nodeOutput();
  if (logs.length) lines.push('', 'Pairly node output (LOG_LEVEL=warn):', ...logs);
  // Printed before the clean-up, which a stuck node can make slow.
  console.log(lines.join('\n'));
  await cleanups.run();
  return failed(rows) ? 1 : 0;
}

/**
 * The machine is shared: with this round's clients connected and idle, wait
 * until the whole machine (everything: other people's tests, PostgreSQL,
 * Redis, these idle processes) is busy at most `pct` % of one core over 2 s.
 */
async function quiet(pct: number, maxS: number, label: string, log: (m: string) => void): Promise<void> {
  const w = await waitForQuiet({
    pct,
    maxS,
    onBusy: (busy) => log(`[${label}] machine busy (${busy.toFixed(0)}% of a core with these clients idle): waiting for ≤ ${pct}%`),
  });
  if (w.timedOut) log(`[${label}] machine still busy (${w.busyPct.toFixed(0)}% of a core) after ${maxS}s: starting anyway`);
  else if (w.waited) log(`[${label}] machine quiet (${w.busyPct.toFixed(0)}% of a core busy): starting`);
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '?';
  }
}
