import { cpus } from 'node:os';
import type { ServerUsage } from './probe.js';
import type { RunResult } from './runner.js';

/** One line of the final table: a run and, where measured, the server it ran against. */
export interface SummaryRow {
  scenario: string;
  target: string;
  run: RunResult;
  server?: ServerUsage;
  /** Whole machine busy over the measured window, % of all cores (shows other load on the box). */
  machinePct?: number;
}

const CORES = cpus().length;

/**
 * CPU the rest of the machine used during the window, % of one core: machine
 * busy minus server and client. On a shared 2-core box this tells a clean
 * round from one that competed with other processes (Redis and PostgreSQL
 * count here too).
 */
export function otherCpuPct(r: SummaryRow): number | undefined {
  if (r.machinePct === undefined) return undefined;
  return Math.max(0, r.machinePct * CORES - (r.server?.cpuPct ?? 0) - r.run.clientCpuPct);
}

/** Cell formats the load scripts' tables share: milliseconds with 3 significant digits, MB, % of a core, a markdown row. */
export const fmtMs = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const mb = (v: number) => v.toFixed(0);
export const pct = (v: number | undefined): string => (v === undefined ? '—' : `${v.toFixed(0)}%`);
export const mdRow = (cells: Array<string | number>): string => `| ${cells.join(' | ')} |`;

/** The markdown table every script ends with (pasted as is into BENCHMARKS.md). */
export function summaryTable(rows: SummaryRow[]): string {
  const head = [
    'scenario', 'target', 'clients', 'in flight', 'duration s', 'throughput/s',
    'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors',
    'server RSS MB before → after (peak)', 'server heap MB before → after', 'server CPU', 'server µs/ack', 'client CPU', 'other CPU',
  ];
  const lines = rows.map((r) => [r, r.run, r.server] as const).map(([r, run, server]) => [
    r.scenario,
    r.target,
    String(run.clients),
    String(run.inflight),
    run.durationS.toFixed(1),
    run.throughput.toFixed(0),
    fmtMs(run.latency.p50),
    fmtMs(run.latency.p95),
    fmtMs(run.latency.p99),
    fmtMs(run.latency.max),
    String(run.errors),
    server
      ? `${mb(server.rssBeforeMb)} → ${mb(server.rssAfterMb)}${server.rssPeakMb !== undefined ? ` (${mb(server.rssPeakMb)})` : ''}`
      : '—',
    server ? `${mb(server.heapBeforeMb)} → ${mb(server.heapAfterMb)}` : '—',
    pct(server?.cpuPct),
    perAck(server?.cpuPct, run.throughput),
    pct(run.clientCpuPct),
    pct(otherCpuPct(r)),
  ]);
  return [mdRow(head), mdRow(head.map((h, i) => (i < 2 ? '---' : '---:'))), ...lines.map(mdRow)].join('\n');
}

/** Server CPU time per acknowledged request: % of a core × 10,000 µs/s ÷ acks/s. Less sensitive to other load than throughput. */
export function serverUsPerAck(cpuPct: number | undefined, throughput: number): number | undefined {
  return cpuPct === undefined || throughput <= 0 ? undefined : (cpuPct * 10_000) / throughput;
}

function perAck(cpuPct: number | undefined, throughput: number): string {
  const v = serverUsPerAck(cpuPct, throughput);
  return v === undefined ? '—' : v.toFixed(0);
}

type Ratios = Record<'throughput' | 'p50' | 'p95' | 'p99' | 'server CPU per ack', number | undefined>;

function ratios(a: SummaryRow, b: SummaryRow): Ratios {
  const r = (x: number | undefined, y: number | undefined) => (x !== undefined && y !== undefined && y > 0 ? x / y : undefined);
  const [ra, rb] = [a.run, b.run];
  return {
    throughput: r(ra.throughput, rb.throughput),
    p50: r(ra.latency.p50, rb.latency.p50),
    p95: r(ra.latency.p95, rb.latency.p95),
    p99: r(ra.latency.p99, rb.latency.p99),
    'server CPU per ack': r(serverUsPerAck(a.server?.cpuPct, ra.throughput), serverUsPerAck(b.server?.cpuPct, rb.throughput)),
  };
}

function formatRatios(name: string, x: Ratios): string {
  const cells = Object.entries(x).map(([k, v]) => `${k} ${v === undefined ? '—' : `${v.toFixed(2)}×`}`);
  return `${name}: ${cells.join(', ')}`;
}

/** "Pairly/bare" ratios of two rows: throughput, latency percentiles, server CPU per ack. */
export function ratioLine(name: string, a: SummaryRow, b: SummaryRow): string {
  return formatRatios(name, ratios(a, b));
}

/** Rounds in which other processes used at most this much CPU (% of one core) count as clean. */
export const CLEAN_OTHER_CPU_PCT = 25;

/**
 * Median, metric by metric, of the per-round ratios of [a, b] pairs taken
 * back to back. Only clean rounds count (both sides' other CPU ≤ 25%), unless
 * there are none; outside load then shows in the spread of the round lines.
 */
/** The median of each metric over several records of ratios (metrics a record lacks are skipped). */
export function medianPerMetric<R extends Record<string, number | undefined>>(all: R[]): R {
  const keys = Object.keys(all[0] ?? {}) as Array<keyof R>;
  return Object.fromEntries(
    keys.map((k) => {
      const v = all.map((x): number | undefined => x[k]).filter((n): n is number => n !== undefined).sort((p, q) => p - q);
      const mid = v.length >> 1;
      return [k, v.length === 0 ? undefined : v.length % 2 ? v[mid] : (v[mid - 1]! + v[mid]!) / 2];
    }),
  ) as R;
}

export function medianRatioLine(name: string, pairs: Array<[SummaryRow, SummaryRow]>): string {
  const isClean = ([a, b]: [SummaryRow, SummaryRow]) =>
    [a, b].every((r) => (otherCpuPct(r) ?? 0) <= CLEAN_OTHER_CPU_PCT);
  const clean = pairs.filter(isClean);
  const used = clean.length > 0 ? clean : pairs;
  const median = medianPerMetric(used.map(([a, b]) => ratios(a, b)));
  const which = clean.length > 0 ? `${clean.length} of ${pairs.length} rounds with other CPU ≤ ${CLEAN_OTHER_CPU_PCT}%` : `all ${pairs.length} rounds, none clean`;
  return formatRatios(`${name} (median of ${which})`, median);
}

export function cpuNote(): string {
  return (
    `CPU columns are % of one core (${CORES} cores = ${CORES * 100}%): server, client (the load generator), and other ` +
    `(everything else on the machine in the window: other processes, PostgreSQL, Redis).`
  );
}

/** Error counts by code, or nothing when there were none. */
export function errorLines(rows: SummaryRow[]): string[] {
  return rows
    .filter((r) => r.run.errors > 0 || r.run.loopsLost > 0)
    .map(
      (r) =>
        `errors in ${r.scenario}/${r.target}: ${Object.entries(r.run.errorCodes)
          .map(([code, n]) => `${code} ${n}`)
          .join(', ')}${r.run.loopsLost ? `; ${r.run.loopsLost} loops lost their socket` : ''}`,
    );
}

export function setupLine(target: string, setupMs: Record<string, number>): string {
  return `${target} set-up: ${Object.entries(setupMs)
    .map(([k, v]) => `${k} ${v} ms`)
    .join(', ')}`;
}

/** Per node, against several running nodes: memory before → after the load and CPU over the window (from /metrics). */
export function nodeTable(
  nodes: Array<{ url: string; usage: { rssBeforeMb: number; rssAfterMb: number; heapBeforeMb?: number; heapAfterMb?: number; cpuPct?: number } | undefined }>,
): string {
  const lines = ['| node | RSS MB before → after | heap MB before → after | CPU |', '| --- | ---: | ---: | ---: |'];
  for (const { url, usage: u } of nodes) {
    lines.push(
      u
        ? `| ${url} | ${mb(u.rssBeforeMb)} → ${mb(u.rssAfterMb)} | ${mb(u.heapBeforeMb ?? 0)} → ${mb(u.heapAfterMb ?? 0)} | ${u.cpuPct?.toFixed(0) ?? '—'}% |`
        : `| ${url} | — | — | — |`,
    );
  }
  return lines.join('\n');
}
