import { cpus } from 'node:os';
import { CLEAN_OTHER_CPU_PCT, fmtMs, mdRow, medianPerMetric, pct } from '../../lib/summary.js';
import type { ChatProgress, ChatRoundResult } from './protocol.js';

export { setupLine } from '../../lib/summary.js';

/** The chat scripts' live line and final tables (markdown, pasted as is into BENCHMARKS.md). */

const CORES = cpus().length;

/** The live line (ProgressPrinter.status) with the chat counters. */
export function chatProgressLine(s: ChatProgress): string {
  return (
    `[${s.label}${s.phase === 'measure' ? '' : ` ${s.phase}`}] ${s.elapsedS.toFixed(1)}s  sent ${s.sent}  acked ${s.acked}` +
    `  delivered ${s.delivered}  ${Math.round(s.rate)}/s  p99 ${s.p99Ms.toFixed(1)} ms  errors ${s.errors}  in transit ${s.outstanding}`
  );
}

export interface ServerUse {
  /** % of one core over the window, all server processes of the target together. */
  cpuPct?: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  rssPeakMb?: number;
  heapBeforeMb?: number;
  heapAfterMb?: number;
  /** The server processes' GC pauses from before the warm-up to after the window (count, total ms). */
  gc?: { minorCount: number; minorMs: number; majorCount: number; majorMs: number };
}

export interface ChatRow {
  target: string;
  result: ChatRoundResult;
  server?: ServerUse;
  /** PostgreSQL (all its processes) and Redis over the window, % of one core. */
  pgPct?: number;
  redisPct?: number;
  /** Whole machine busy over the window, % of all cores. */
  machinePct?: number;
  /** 1-minute load average when the window started. */
  load1?: number;
}

const num = (v: number | undefined, d = 0) => (v === undefined ? '—' : v.toFixed(d));
const ms = fmtMs;
const row = mdRow;

/** CPU the rest of the machine used in the window (% of one core): busy minus server, client, PostgreSQL, Redis. */
export function otherPct(r: ChatRow): number | undefined {
  if (r.machinePct === undefined) return undefined;
  return Math.max(0, r.machinePct * CORES - (r.server?.cpuPct ?? 0) - r.result.clientCpuPct - (r.pgPct ?? 0) - (r.redisPct ?? 0));
}

/** CPU µs per delivered message: % of a core × 10,000 ÷ messages/s. */
export function usPerMsg(cpuPct: number | undefined, rate: number): number | undefined {
  return cpuPct === undefined || rate <= 0 ? undefined : (cpuPct * 10_000) / rate;
}

/** Server, PostgreSQL and Redis together: what a message costs the back end. */
export function backendPct(r: ChatRow): number | undefined {
  return r.server?.cpuPct === undefined ? undefined : r.server.cpuPct + (r.pgPct ?? 0) + (r.redisPct ?? 0);
}

export function deliveryTable(rows: ChatRow[]): string {
  const head = ['target', 'clients', 'senders', 'rate/s', 'sent/s', 'delivered/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'ack p50 ms', 'ack p99 ms', 'errors', 'lost', 'load avg'];
  return [
    row(head),
    row(head.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...rows.map(({ target, result: r, load1 }) =>
      row([
        target,
        String(r.clients),
        String(r.senders),
        String(r.targetRate),
        r.sentRate.toFixed(0),
        r.deliveredRate.toFixed(0),
        ms(r.latency.p50),
        ms(r.latency.p95),
        ms(r.latency.p99),
        ms(r.latency.max),
        ms(r.ackLatency.p50),
        ms(r.ackLatency.p99),
        String(r.errors + r.receiptErrors),
        String(r.total.lost),
        num(load1, 2),
      ]),
    ),
  ].join('\n');
}

export function resourceTable(rows: ChatRow[]): string {
  const head = [
    'target', 'server CPU', 'server µs/msg', 'PostgreSQL CPU', 'Redis CPU', 'server+PG+Redis µs/msg', 'client CPU', 'other CPU',
    'server RSS MB before → after (peak)', 'server heap MB before → after', 'server GC: scavenges (ms), full (ms)',
  ];
  return [
    row(head),
    row(head.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...rows.map((r) => {
      const s = r.server;
      return row([
        r.target,
        pct(s?.cpuPct),
        num(usPerMsg(s?.cpuPct, r.result.deliveredRate)),
        pct(r.pgPct),
        pct(r.redisPct),
        num(usPerMsg(backendPct(r), r.result.deliveredRate)),
        pct(r.result.clientCpuPct),
        pct(otherPct(r)),
        s ? `${s.rssBeforeMb.toFixed(0)} → ${s.rssAfterMb.toFixed(0)}${s.rssPeakMb !== undefined ? ` (${s.rssPeakMb.toFixed(0)})` : ''}` : '—',
        s?.heapBeforeMb !== undefined && s.heapAfterMb !== undefined ? `${s.heapBeforeMb.toFixed(0)} → ${s.heapAfterMb.toFixed(0)}` : '—',
        s?.gc ? `${s.gc.minorCount} (${s.gc.minorMs.toFixed(0)}), ${s.gc.majorCount} (${s.gc.majorMs.toFixed(0)})` : '—',
      ]);
    }),
  ].join('\n');
}

/** Per row: what was checked besides latency (every message accounted for), and anything that went wrong. */
export function accountingLines(rows: ChatRow[]): string[] {
  return rows.map(({ target, result: r }) => {
    const t = r.total;
    const parts = [
      `${t.sent} sent, ${t.ackedOk} acked, ${t.delivered} delivered, ${t.lost} lost`,
      `client RSS ${r.clientRssMb.toFixed(0)} MB`,
      `${t.receiptsSent} receipts (${t.receiptsAcked} acked, ${t.receiptPushes} pushed to senders)`,
    ];
    if (t.charged || t.walletPushes) parts.push(`${t.charged} charged, ${t.walletPushes} wallet:updated`);
    if (t.heldBack) parts.push(`${t.heldBack} sends skipped at the in-flight cap (the target fell behind the rate)`);
    for (const [k, v] of [['duplicates', t.duplicates], ['stray deliveries', t.strays], ['delivered without a positive ack', t.deliveredWithoutAck], ['never answered', t.unanswered], ['disconnects', t.disconnects]] as const) {
      if (v) parts.push(`${v} ${k}`);
    }
    if (r.errors) parts.push(`send errors: ${codes(r.errorCodes)}`);
    if (r.receiptErrors) parts.push(`receipt errors: ${codes(r.receiptErrorCodes)}`);
    return `${target}: ${parts.join('; ')}`;
  });
}

const codes = (m: Record<string, number>) => Object.entries(m).map(([k, v]) => `${k} ${v}`).join(', ');

type Ratios = Record<'delivered/s' | 'p50' | 'p95' | 'p99' | 'ack p50' | 'server µs/msg' | 'server+PG+Redis µs/msg', number | undefined>;

function ratios(a: ChatRow, b: ChatRow): Ratios {
  const r = (x: number | undefined, y: number | undefined) => (x !== undefined && y !== undefined && y > 0 ? x / y : undefined);
  const [ra, rb] = [a.result, b.result];
  return {
    'delivered/s': r(ra.deliveredRate, rb.deliveredRate),
    p50: r(ra.latency.p50, rb.latency.p50),
    p95: r(ra.latency.p95, rb.latency.p95),
    p99: r(ra.latency.p99, rb.latency.p99),
    'ack p50': r(ra.ackLatency.p50, rb.ackLatency.p50),
    'server µs/msg': r(usPerMsg(a.server?.cpuPct, ra.deliveredRate), usPerMsg(b.server?.cpuPct, rb.deliveredRate)),
    'server+PG+Redis µs/msg': r(usPerMsg(backendPct(a), ra.deliveredRate), usPerMsg(backendPct(b), rb.deliveredRate)),
  };
}

const formatRatios = (name: string, x: Ratios) =>
  `${name}: ${Object.entries(x).map(([k, v]) => `${k} ${v === undefined ? '—' : `${v.toFixed(2)}×`}`).join(', ')}`;

export function ratioLine(name: string, a: ChatRow, b: ChatRow): string {
  return formatRatios(name, ratios(a, b));
}


/** Median of per-round ratios over the rounds where other CPU stayed ≤ 25% on both sides (all rounds if none did). */
export function medianRatioLine(name: string, pairs: Array<[ChatRow, ChatRow]>): string {
  const clean = pairs.filter((p) => p.every((r) => (otherPct(r) ?? 0) <= CLEAN_OTHER_CPU_PCT));
  const used = clean.length ? clean : pairs;
  const median = medianPerMetric(used.map(([a, b]) => ratios(a, b)));
  const which = clean.length ? `${clean.length} of ${pairs.length} rounds with other CPU ≤ ${CLEAN_OTHER_CPU_PCT}%` : `all ${pairs.length} rounds, none clean`;
  return formatRatios(`${name} (median of ${which})`, median);
}

export function cpuNote(kind: 'bench' | 'load'): string {
  const pgNote =
    kind === 'bench'
      ? `the backends of the target's database and PostgreSQL's own processes (WAL writer, checkpointer...; other databases' backends count as other)`
      : 'all postgres processes on the machine';
  return (
    `CPU columns are % of one core (${CORES} cores = ${CORES * 100}%). server: the target's server process(es); PostgreSQL: ${pgNote}; ` +
    `Redis: redis-server (shared: other clients count too); client: the load generator; other: everything else on the machine in ` +
    `the window. µs/msg = CPU time per delivered message.`
  );
}

export function failed(rows: ChatRow[]): boolean {
  return rows.some((r) => r.result.errors > 0 || r.result.receiptErrors > 0 || r.result.total.lost > 0 || r.result.total.duplicates > 0 || r.result.total.unanswered > 0);
}

/** What --reactions did in a round: rates, errors, and the ack and peer-push latencies of reactions. */
export function reactionLine(target: string, r: import('./protocol.js').ReactionResult): string {
  const codes = Object.entries(r.errorCodes)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  return (
    `${target} reactions: ${r.sentRate.toFixed(0)}/s sent, ${r.ackedRate.toFixed(0)}/s acked in the window; ` +
    `ack p50 ${fmtMs(r.ackLatency.p50)} p99 ${fmtMs(r.ackLatency.p99)}, to the peer's chat:changed p50 ${fmtMs(r.pushLatency.p50)} p99 ${fmtMs(r.pushLatency.p99)}; ` +
    `round: ${r.sent} sent, ${r.acked} acked, ${r.pushes} pushes, ${r.errors} errors${codes ? ` (${codes})` : ''}, ${r.skipped} skipped (nothing received yet)`
  );
}
