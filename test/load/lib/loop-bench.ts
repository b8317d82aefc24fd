import { cpus } from 'node:os';
import { createBacking, startInProcess, tempDir } from '../support/pairly.js';
import { LOOP_USAGE, loopFlags, loopOptions, numberFlag, parseCli, usageError } from './lib/args.js';
import { driveInChild, startBare } from './lib/children.js';
import { localProbe, machineBusyPct, machineCpu, usageOf, type MachineCpu, type ProcessSample } from './lib/probe.js';
import { ProgressPrinter } from './lib/progress.js';
import { loadScenario, scenarioNames, type Scenario } from './lib/scenario.js';
import { cpuNote, errorLines, medianRatioLine, ratioLine, setupLine, summaryTable, type SummaryRow } from './lib/summary.js';

/**
 * `npm run bench -- <scenario> [flags]`: Pairly started in this process
 * (embedded, or cluster mode on a database and Redis prefix of its own) and,
 * in the same run, the scenario's bare socket.io baseline in a child process;
 * each driven by the same client loop running in a driver child process, so
 * the load generator never shares an event loop with the server it measures.
 */

// Chat has its own script (a total rate over all clients, ack and delivery
// latency, lost messages, receipts, --priced, --nodes): hand it the command line.
if (process.argv[2] === 'chat') {
  const { main } = await import('./lib/chat-bench.js');
  process.exit(await main(process.argv.slice(3)));
}
// Calls with media (WebRTC peers in Janus's network namespace, time to first
// frame, Janus CPU per call) have their own script too.
if (process.argv[2] === 'calls' && process.argv.includes('--media')) {
  const { main } = await import('./lib/calls-media-bench.js');
  process.exit(await main(process.argv.slice(3)));
}

// A node's memory while slow readers never read their replies: one node process, raw sockets, RSS from /proc.
if (process.argv[2] === 'slow-reader') {
  const { main } = await import('./lib/slow-reader-bench.js');
  process.exit(await main(process.argv.slice(3)));
}

const USAGE = `usage: npm run bench -- <scenario> [flags]
scenarios: ${scenarioNames().join(', ')}
  (calls with real media, WebRTC peers and Janus: npm run bench -- calls --media --help)
  (a node's memory under never-reading sockets: npm run bench -- slow-reader --help)
  --mode embedded|cluster  embedded: PGlite in a temp dir, in-memory adapter (default);
                           cluster: local PostgreSQL + Redis (own database and prefix, removed at the end)
  --baseline bare|none     also measure the scenario's plain socket.io baseline (default bare)
  --rounds N               alternate baseline and Pairly N times (default 1); the final ratio is the
                           median of the per-round ratios over rounds little disturbed by other processes
${LOOP_USAGE}`;

/** Server settings for benchmarking; everything else is Pairly's default. */
const BENCH_ENV = {
  // Set-up only: sign-up hashes one password per client. No scenario event hashes anything.
  ARGON2_MEMORY_KIB: '1024',
  // The per-socket limit (default 20/s) would otherwise be what is measured.
  SOCKET_EVENTS_PER_SECOND: '10000',
  LOG_LEVEL: 'silent',
};

const { values, positionals } = parseCli(USAGE, {
  args: process.argv.slice(2),
  options: {
    ...loopOptions,
    mode: { type: 'string', default: 'embedded' },
    baseline: { type: 'string', default: 'bare' },
    rounds: { type: 'string', default: '1' },
  },
  allowPositionals: true,
  strict: true,
});
const flags = loopFlags(values, USAGE);
const rounds = numberFlag('rounds', values.rounds, 1, 10, USAGE);
const mode = values.mode;
if (mode !== 'embedded' && mode !== 'cluster') usageError(`--mode must be embedded or cluster, got "${mode}"`, USAGE);
if (values.baseline !== 'bare' && values.baseline !== 'none') usageError(`--baseline must be bare or none`, USAGE);
if (positionals.length !== 1) usageError('name one scenario', USAGE);
const scenario = await loadScenario(positionals[0]!).catch((err: Error) => usageError(err.message, USAGE));

const printer = new ProgressPrinter();
const cleanups: Array<() => Promise<void>> = [];
let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  printer.log('interrupted: cleaning up');
  void runCleanups().finally(() => process.exit(130));
});

async function runCleanups(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c().catch((err) => printer.log(`cleanup failed: ${err}`));
}

interface Sampler {
  sample(): Promise<ProcessSample>;
  resetPeak(): void;
}

/** One target: the driver child runs the loop, `sampler` watches the server process. */
async function measure(s: Scenario, f: typeof flags, target: string, url: string, auth: boolean, sampler: Sampler) {
  let before: ProcessSample | undefined;
  let windowStart: Promise<ProcessSample> | undefined;
  let after: ProcessSample | undefined;
  let machine0: MachineCpu | undefined;
  let machine1: MachineCpu | undefined;
  const { result, setupMs } = await driveInChild(
    { scenario: s.name, label: `${s.name} ${target}`, urls: [url], auth, ...f },
    {
      printer,
      beforeLoad: async () => {
        before = await sampler.sample();
        sampler.resetPeak();
      },
      onMeasureStart: () => {
        machine0 = machineCpu();
        windowStart = sampler.sample();
      },
      afterLoad: async () => {
        machine1 = machineCpu();
        after = await sampler.sample();
      },
    },
  );
  const row: SummaryRow = {
    scenario: s.name,
    target,
    run: result,
    server: usageOf(before!, await windowStart, after!),
    machinePct: machineBusyPct(machine0, machine1),
  };
  return { row, setupMs };
}

interface Target {
  name: string;
  url: string;
  auth: boolean;
  sampler: Sampler;
}

/** The baseline in a child process, stopped by the cleanups. */
async function startBareTarget(): Promise<Target> {
  const bare = await startBare(scenario.name);
  cleanups.push(() => bare.stop());
  printer.log(`bare socket.io baseline on ${bare.url} (separate process)`);
  return { name: 'bare socket.io', url: bare.url, auth: false, sampler: bare };
}

/** Pairly in this process, on a temp data dir (embedded) or its own database and Redis prefix (cluster). */
async function startPairlyTarget(): Promise<Target> {
  let env: Record<string, string> = { ...BENCH_ENV };
  if (mode === 'cluster') {
    const backing = await createBacking();
    cleanups.push(() => backing.cleanup());
    env = { ...backing.env, ...BENCH_ENV };
    printer.log(`cluster mode: database ${new URL(backing.databaseUrl).pathname.slice(1)}, Redis prefix ${backing.redisPrefix}`);
  } else {
    const dir = tempDir('pairly-bench');
    cleanups.push(async () => dir.remove());
    env.PAIRLY_DATA_DIR = dir.path;
    printer.log(`embedded mode: PGlite in ${dir.path}`);
  }
  const node = await startInProcess(env);
  cleanups.push(() => node.stop());
  const probe = localProbe();
  cleanups.push(async () => probe.stop());
  printer.log(`Pairly on ${node.url} (this process); ARGON2_MEMORY_KIB=1024 for the sign-up set-up, SOCKET_EVENTS_PER_SECOND=10000`);
  return { name: `pairly ${mode}`, url: node.url, auth: true, sampler: { sample: async () => probe.sample(), resetPeak: () => probe.resetPeak() } };
}

printer.log(
  `bench ${scenario.name}: ${flags.clients} clients × ${flags.inflight} in flight, ${flags.warmupS}s warm-up + ${flags.durationS}s, ` +
    `${rounds} round(s), mode ${mode}; node ${process.version}, ${cpus().length} cores`,
);
const rows: SummaryRow[] = [];
const setups: string[] = [];
let names: string[] = [];
try {
  const targets: Target[] = [];
  if (values.baseline === 'bare' && scenario.bare) targets.push(await startBareTarget());
  targets.push(await startPairlyTarget());
  names = targets.map((t) => t.name);
  // Alternating the targets round by round spreads any outside load over both.
  for (let r = 1; r <= rounds && !interrupted; r++) {
    for (const t of targets) {
      const name = rounds > 1 ? `${t.name} #${r}` : t.name;
      const { row, setupMs } = await measure(scenario, flags, name, t.url, t.auth, t.sampler);
      rows.push(row);
      setups.push(setupLine(name, setupMs));
    }
  }
} catch (err) {
  if (!interrupted) printer.log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  await runCleanups();
  process.exit(interrupted ? 130 : 1);
}
await runCleanups();
if (interrupted) process.exit(130);

const lines = ['', summaryTable(rows), ''];
const [bareName, pairlyName] = names.length === 2 ? names : [undefined, names[0]];
if (bareName && pairlyName) {
  // Rows alternate bare, Pairly round by round: pair each Pairly round with the bare round just before it.
  const pairs = Array.from({ length: rounds }, (_, r) => [rows[2 * r + 1]!, rows[2 * r]!] as [SummaryRow, SummaryRow]);
  if (rounds === 1) lines.push(ratioLine('Pairly/bare', ...pairs[0]!));
  else {
    pairs.forEach((pair, r) => lines.push(ratioLine(`Pairly/bare round ${r + 1}`, ...pair)));
    lines.push(medianRatioLine('Pairly/bare', pairs));
  }
}
lines.push(cpuNote(), ...setups, ...errorLines(rows));
console.log(lines.join('\n'));
process.exit(rows.some((r) => r.run.errors > 0) ? 1 : 0);
