import { CORES, median, otherPct } from '../../lib/machine.js';
import { fmtMs, mdRow, pct } from '../../lib/summary.js';
import type { PipelineKind, PipelineRound } from './pipeline-rounds.js';

/** The pipeline bench's tables and lines (markdown, pasted as is into BENCHMARKS.md). */

function nearestRank(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

const sortedOf = (rows: PipelineRound[], f: (r: PipelineRound) => number[]) => rows.flatMap(f).sort((a, b) => a - b);
const errorCount = (r: PipelineRound) => Object.values(r.errors).reduce((a, b) => a + b, 0);
const perS = (items: number, wallMs: number) => (wallMs > 0 ? items / (wallMs / 1000) : 0);
const known = (r: PipelineRound) => [r.cpu.bench, r.cpu.node, r.cpu.workers, r.cpu.pg, r.cpu.redis];
/**
 * CPU ms per item of the processes doing the work: bare, this process; Pairly, the node and the workers
 * (PostgreSQL and Redis apart). Less sensitive to other load than the latencies.
 */
const workMsPerItem = (r: PipelineRound) =>
  r.items > 0 ? (((r.variant === 'bare' ? r.cpu.bench : (r.cpu.node ?? 0) + (r.cpu.workers ?? 0)) / 100) * r.wallMs) / r.items : 0;

export interface PipelineLabels {
  /** The Pairly variant's name in the table, e.g. "Pairly cluster (local storage)". */
  pairly: string;
  /** The bare variant's name: processImage or processVideo, in this process. */
  bare: Record<PipelineKind, string>;
}

export function pipelineTable(rows: PipelineRound[], labels: PipelineLabels, inFlight: number): string {
  const head = [
    'variant', 'round', 'items', 'in flight', 'wall s', 'items/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors', 'CPU ms/item',
    'node CPU', 'workers CPU', 'PG + Redis CPU', 'bench CPU', 'other CPU', 'load avg',
  ];
  const lines = [mdRow(head), mdRow(head.map((_, i) => (i === 0 ? '---' : '---:')))];
  const name = (r: PipelineRound) => (r.variant === 'pairly' ? labels.pairly : labels.bare[r.kind]);
  for (const r of rows) {
    const lat = [...r.latenciesMs].sort((a, b) => a - b);
    lines.push(
      mdRow([
        name(r), r.round, r.items, inFlight, (r.wallMs / 1000).toFixed(1), perS(r.items, r.wallMs).toFixed(2),
        fmtMs(nearestRank(lat, 50)), fmtMs(nearestRank(lat, 95)), fmtMs(nearestRank(lat, 99)), fmtMs(lat.at(-1) ?? 0), errorCount(r),
        workMsPerItem(r).toFixed(0), pct(r.cpu.node), pct(r.cpu.workers), r.cpu.pg === undefined ? '—' : pct(r.cpu.pg + (r.cpu.redis ?? 0)), pct(r.cpu.bench),
        pct(otherPct(r.machinePct, known(r))), r.load1.toFixed(2),
      ]),
    );
  }
  for (const variant of ['bare', 'pairly'] as const) {
    const list = rows.filter((r) => r.variant === variant);
    if (!list.length) continue;
    const lat = sortedOf(list, (r) => r.latenciesMs);
    const items = list.reduce((a, r) => a + r.items, 0);
    const wall = list.reduce((a, r) => a + r.wallMs, 0);
    lines.push(
      mdRow([
        `**${name(list[0]!)}, all rounds**`, '—', items, inFlight, (wall / 1000).toFixed(1), perS(items, wall).toFixed(2),
        fmtMs(nearestRank(lat, 50)), fmtMs(nearestRank(lat, 95)), fmtMs(nearestRank(lat, 99)), fmtMs(lat.at(-1) ?? 0),
        list.reduce((a, r) => a + errorCount(r), 0), median(list.map(workMsPerItem))?.toFixed(0) ?? '—', '', '', '', '', '', '',
      ]),
    );
  }
  return lines.join('\n');
}

/** Pairly ÷ bare per round (the two ran back to back), the median over rounds, and what the pipeline adds in ms. */
export function pipelineRatioLines(rows: PipelineRound[], labels: PipelineLabels): string[] {
  const pairs = rows
    .filter((r) => r.variant === 'pairly' && r.items > 0)
    .map((r) => [r, rows.find((b) => b.kind === r.kind && b.round === r.round && b.variant === 'bare' && b.items > 0)] as const)
    .filter((p): p is readonly [PipelineRound, PipelineRound] => p[1] !== undefined);
  if (!pairs.length) return ['no round with both variants complete: no ratio'];
  const p = (r: PipelineRound, q: number) => nearestRank([...r.latenciesMs].sort((a, b) => a - b), q);
  const ratio = (q: number) => median(pairs.map(([a, b]) => p(a, q) / p(b, q)));
  const extra = (q: number) => median(pairs.map(([a, b]) => p(a, q) - p(b, q)));
  const rate = median(pairs.map(([a, b]) => perS(a.items, a.wallMs) / perS(b.items, b.wallMs)));
  const cpu = median(pairs.map(([a, b]) => workMsPerItem(a) / workMsPerItem(b)));
  const kind = pairs[0]![0].kind;
  const ms = (x: number | undefined) => (x === undefined ? '?' : `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(0)} ms`);
  return [
    `${labels.pairly} ÷ ${labels.bare[kind]} (median of ${pairs.length} round${pairs.length > 1 ? 's' : ''}): ` +
      `p50 ${ratio(50)?.toFixed(2)}× (${ms(extra(50))}), p95 ${ratio(95)?.toFixed(2)}× (${ms(extra(95))}), items/s ${rate?.toFixed(2)}×, ` +
      `CPU per item ${cpu?.toFixed(2)}×`,
    ...pairs.map(
      ([a, b]) =>
        `- round ${a.round}: p50 ${fmtMs(p(a, 50))} vs ${fmtMs(p(b, 50))} ms, p95 ${fmtMs(p(a, 95))} vs ${fmtMs(p(b, 95))} ms, ` +
        `wall ${(a.wallMs / 1000).toFixed(1)} vs ${(b.wallMs / 1000).toFixed(1)} s, ` +
        `${rows.find((r) => r.kind === a.kind && r.round === a.round)?.variant === 'pairly' ? 'Pairly' : 'bare'} first`,
    ),
  ];
}

/** What happens before the measured part: create + send of each upload, the confirm request itself. */
export function uploadLine(rows: PipelineRound[], bytes: number): string {
  const list = rows.filter((r) => r.variant === 'pairly');
  const up = sortedOf(list, (r) => r.uploadMs);
  const conf = sortedOf(list, (r) => r.confirmMs);
  const early = list.reduce((a, r) => a + r.earlyPushes, 0);
  return (
    `Before the clock: create + send of ${(bytes / 1e6).toFixed(2)} MB per upload, ${list[0]?.uploadMs.length ?? 0} at once: p50 ${fmtMs(nearestRank(up, 50))} ms, ` +
    `p95 ${fmtMs(nearestRank(up, 95))} ms; the confirm request itself: p50 ${fmtMs(nearestRank(conf, 50))} ms, p95 ${fmtMs(nearestRank(conf, 95))} ms` +
    (early ? `; ${early} push(es) arrived before their confirm's answer (counted as 0 ms)` : '')
  );
}

export function errorLines(rows: PipelineRound[], labels: PipelineLabels): string[] {
  return rows
    .filter((r) => errorCount(r) > 0)
    .map((r) => `errors in ${r.variant === 'pairly' ? labels.pairly : labels.bare[r.kind]} round ${r.round}: ${Object.entries(r.errors).map(([c, n]) => `${c} ${n}`).join(', ')}`);
}

export function pipelineNotes(mode: 'embedded' | 'cluster'): string {
  return [
    `Pairly: every round, each uploader (its own user and socket) creates an upload and sends the bytes, all at once; when all are stored,`,
    `all confirm at once. Latency = from the confirm's 202 to the owner's \`media:updated\` push saying ready, on the socket: the job`,
    mode === 'cluster'
      ? `(BullMQ in Redis, the workers process), the download from storage, classify(), processImage/processVideo, the variants' upload,`
      : `(the in-process job runner of embedded mode), the download from storage, classify(), processImage/processVideo, the variants' upload,`,
    `moderate(), the database update and the push. Bare: the same file through processImage/processVideo in the bench process, the same`,
    `number at once, with the limits the job passes. wall s = first confirm (bare: first call) to last item done; items/s = items ÷ wall.`,
    `CPU ms/item = CPU of the processes doing the work (bare: the bench process; Pairly: node + workers) over the round ÷ items ("all rounds": median).`,
    `CPU columns are % of one core (${CORES} cores = ${CORES * 100}%), over the round's wall window, each process with the ffmpeg children it`,
    `waited for; PG + Redis = the bench database's PostgreSQL backends and the whole Redis server; other = the rest of the machine.`,
  ].join('\n');
}
