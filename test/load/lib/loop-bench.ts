import { cpus } from 'node:os';
import { startInProcess } from '../../support/pairly.js';
import { choiceFlag, LOOP_USAGE, loopFlags, loopOptions, numberFlag, parseCli, type LoopFlags } from './args.js';
import { driveInChild, startBare } from './children.js';
import { Cleanups } from './cleanups.js';
import { localProbe, machineBusyPct, machineCpu, usageOf, type MachineCpu, type ProcessSample } from './probe.js';
import { ProgressPrinter } from './progress.js';
import type { BenchServices, RequestLoop } from './scenario.js';
import { BENCH_SERVER_ENV, benchData, envLine } from './server-env.js';
import { cpuNote, errorLines, medianRatioLine, ratioLine, setupLine, summaryTable, type SummaryRow } from './summary.js';

/**
 * `npm run bench -- <scenario> [flags]` for a request/ack scenario: Pairly
 * started in this process (embedded, or cluster mode on a database and Redis
 * prefix of its own) and, in the same run, the scenario's bare socket.io
 * baseline in a child process; each driven by the same client loop running in
 * a driver child process, so the load generator never shares an event loop
 * with the server it measures.
 */

const benchUsage = (name: string) => `usage: npm run bench -- ${name} [flags]
  --mode embedded|cluster  embedded: PGlite in a temp dir, in-memory adapter (default);
                           cluster: local PostgreSQL + Redis (own database and prefix, removed at the end)
  --baseline bare|none     also measure the scenario's plain socket.io baseline (default bare)
  --rounds N               alternate baseline and Pairly N times (default 1); the final ratio is the
                           median of the per-round ratios over rounds little disturbed by other processes
${LOOP_USAGE}`;

/** Server settings for benchmarking; everything else is Pairly's default. */
const BENCH_ENV = {
  ...BENCH_SERVER_ENV,
  // The per-socket limit (default 20/s) would otherwise be what is measured.
  SOCKET_EVENTS_PER_SECOND: '10000',
  LOG_LEVEL: 'silent',
};

interface Sampler {
  sample(): Promise<ProcessSample>;
  resetPeak(): void;
}

interface Target {
  name: string;
  url: string;
  auth: boolean;
  sampler: Sampler;
}

export async function benchLoop(
  scenario: { name: string; loop: RequestLoop; usageNote?: string; benchServices?: BenchServices },
  argv: string[],
): Promise<number> {
  const USAGE = benchUsage(scenario.name) + (scenario.usageNote ? `\n${scenario.usageNote}` : '');
  const { values } = parseCli(USAGE, {
    args: argv,
    options: {
      ...loopOptions,
      mode: { type: 'string', default: 'embedded' },
      baseline: { type: 'string', default: 'bare' },
      rounds: { type: 'string', default: '1' },
    },
    allowPositionals: false,
    strict: true,
  });
  const flags = loopFlags(values, USAGE);
  const rounds = numberFlag('rounds', values.rounds, 1, 10, USAGE);
  const mode = choiceFlag('mode', values.mode, ['embedded', 'cluster'], USAGE);
  const baseline = choiceFlag('baseline', values.baseline, ['bare', 'none'], USAGE);

  const printer = new ProgressPrinter();
  const cleanups = new Cleanups((m) => printer.log(m));
  let interrupted = false;
  cleanups.onSigint(undefined, () => (interrupted = true));

  /** The baseline in a child process, stopped by the cleanups. */
  const startBareTarget = async (): Promise<Target> => {
    const bare = await startBare(scenario.name);
    cleanups.add(() => bare.stop());
    printer.log(`bare socket.io baseline on ${bare.url} (separate process)`);
    return { name: 'bare socket.io', url: bare.url, auth: false, sampler: bare };
  };

  /** Pairly in this process, on a temp data dir (embedded) or its own database and Redis prefix (cluster). */
  const startPairlyTarget = async (): Promise<Target> => {
    const data = await benchData(mode, cleanups, 'pairly-bench');
    printer.log(data.description);
    let env: Record<string, string> = { ...data.env, ...BENCH_ENV };
    if (scenario.benchServices) {
      const services = await scenario.benchServices((m) => printer.log(m));
      cleanups.add(() => services.stop());
      env = { ...env, ...services.env };
    }
    const node = await startInProcess(env);
    cleanups.add(() => node.stop());
    const probe = localProbe();
    cleanups.add(() => probe.stop());
    const { LOG_LEVEL: _, ...shown } = BENCH_ENV;
    printer.log(`Pairly on ${node.url} (this process); ${envLine(shown)}`);
    return { name: `pairly ${mode}`, url: node.url, auth: true, sampler: { sample: async () => probe.sample(), resetPeak: () => probe.resetPeak() } };
  };

  printer.log(
    `bench ${scenario.name}: ${flags.clients} clients × ${flags.inflight} in flight, ${flags.warmupS}s warm-up + ${flags.durationS}s, ` +
      `${rounds} round(s), mode ${mode}; node ${process.version}, ${cpus().length} cores`,
  );
  const rows: SummaryRow[] = [];
  const setups: string[] = [];
  let names: string[] = [];
  try {
    const targets: Target[] = [];
    if (baseline === 'bare' && scenario.loop.bare) targets.push(await startBareTarget());
    targets.push(await startPairlyTarget());
    names = targets.map((t) => t.name);
    // Alternating the targets round by round spreads any outside load over both.
    for (let r = 1; r <= rounds && !interrupted; r++) {
      for (const t of targets) {
        const name = rounds > 1 ? `${t.name} #${r}` : t.name;
        const { row, setupMs } = await measure(scenario.name, flags, name, t, printer);
        rows.push(row);
        setups.push(setupLine(name, setupMs));
      }
    }
  } catch (err) {
    if (!interrupted) printer.log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanups.run();
    return interrupted ? 130 : 1;
  }
  await cleanups.run();
  if (interrupted) return 130;

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
  return rows.some((r) => r.run.errors > 0) ? 1 : 0;
}

/** One target: the driver child runs the loop, the target's sampler watches the server process. */
async function measure(scenario: string, f: LoopFlags, label: string, t: Target, printer: ProgressPrinter) {
  let before: ProcessSample | undefined;
  let windowStart: Promise<ProcessSample> | undefined;
  let after: ProcessSample | undefined;
  let machine0: MachineCpu | undefined;
  let machine1: MachineCpu | undefined;
  const { result, setupMs } = await driveInChild(
    { scenario, label: `${scenario} ${label}`, urls: [t.url], auth: t.auth, ...f },
    {
      printer,
      beforeLoad: async () => {
        before = await t.sampler.sample();
        t.sampler.resetPeak();
      },
      onMeasureStart: () => {
        machine0 = machineCpu();
        windowStart = t.sampler.sample();
      },
      afterLoad: async () => {
        machine1 = machineCpu();
        after = await t.sampler.sample();
      },
    },
  );
  const row: SummaryRow = {
    scenario,
    target: label,
    run: result,
    server: usageOf(before!, await windowStart, after!),
    machinePct: machineBusyPct(machine0, machine1),
  };
  return { row, setupMs };
}
