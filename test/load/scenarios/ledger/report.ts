import { CLEAN_OTHER_PCT, CORES, median, otherPct, type CpuWindow } from '../../lib/machine.js';
import { fmtMs, pct } from '../../lib/summary.js';
import type { LatencySummary } from '../../lib/recorder.js';

/** The ledger bench's table, per-variant medians and notes (markdown, pasted as is into BENCHMARKS.md). */

/** One measured window of one variant. */
export interface Row {
  round: number;
  variant: string;
  /** Rows (insert) or ledger transfers one operation writes. */
  unitsPerOp: number;
  concurrency: number;
  windowS: number;
  ops: number;
  opsPerS: number;
  unitsPerS: number;
  latency: LatencySummary;
  errors: number;
  errorCodes: Record<string, number>;
  retries: number;
  cpu: CpuWindow;
  /** Mean number of this database's backends waiting for a lock / running a statement, sampled every 200 ms. */
  lockWaiting: number;
  active: number;
  load1: number;
  /** Group-commit variants: mean operations per ledger_apply_batch call (warm-up included). */
  opsPerBatch?: number;
}

const other = (r: Row) => otherPct(r.cpu.machinePct, [r.cpu.selfPct, r.cpu.pgPct]);

export function resultTable(rows: Row[]): string {
  const head = [
    'variant', 'workers', 'ops/s', 'transfers/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors',
    'ops/s ÷ INSERT', 'rows/s ÷ INSERT', 'p99 ÷ INSERT', 'lock waiters (avg)', 'bench CPU', 'postgres CPU', 'pg µs/op', 'other CPU', 'load avg', 'ops/batch',
  ];
  const lines = [`| ${head.join(' | ')} |`, `| --- | ${head.slice(1).map(() => '---:').join(' | ')} |`];
  for (const r of rows) {
    const base = rows.find((b) => b.round === r.round && b.unitsPerOp === 1);
    const isBase = r === base;
    const ratio = (x: number, y: number | undefined) => (isBase || !y ? '—' : `${(x / y).toFixed(2)}×`);
    lines.push(
      `| ${r.variant}${rows.some((x) => x.round > 1) ? ` #${r.round}` : ''} | ${r.concurrency} | ${r.opsPerS.toFixed(0)} | ${isBase ? '—' : r.unitsPerS.toFixed(0)} | ` +
        `${fmtMs(r.latency.p50)} | ${fmtMs(r.latency.p95)} | ${fmtMs(r.latency.p99)} | ${fmtMs(r.latency.max)} | ${r.errors}${r.retries ? ` (${r.retries} retried)` : ''} | ` +
        `${ratio(r.opsPerS, base?.opsPerS)} | ${ratio(r.unitsPerS, base?.unitsPerS)} | ${ratio(r.latency.p99, base?.latency.p99)} | ` +
        `${r.lockWaiting.toFixed(1)} of ${r.active.toFixed(1)} active | ${pct(r.cpu.selfPct)} | ${pct(r.cpu.pgPct)} | ` +
        `${r.opsPerS > 0 ? ((r.cpu.pgPct * 10_000) / r.opsPerS).toFixed(0) : '—'} | ${pct(other(r))} | ${r.load1.toFixed(2)} | ${r.opsPerBatch === undefined ? '—' : r.opsPerBatch.toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}

export function ratioLines(rows: Row[], rounds: number): string[] {
  const out: string[] = [];
  const variants = [...new Set(rows.map((r) => r.variant))];
  const bases = new Map(rows.filter((r) => r.unitsPerOp === 1).map((r) => [r.round, r]));
  // As in the ping bench: a row counts when it and the baseline row of its round were little disturbed.
  const clean = (r: Row) => [r, bases.get(r.round)].every((x) => x !== undefined && (other(x) ?? 0) <= CLEAN_OTHER_PCT);
  out.push(`Medians per variant over the rounds in which that variant and its round's INSERT baseline both had other CPU ≤ ${CLEAN_OTHER_PCT}% (all rounds when none did):`);
  for (const v of variants) {
    const all = rows.filter((r) => r.variant === v);
    const cleanRows = all.filter(clean);
    const rs = cleanRows.length ? cleanRows : all;
    const m = (f: (r: Row) => number | undefined) => median(rs.map(f).filter((x): x is number => x !== undefined));
    const ratio = (f: (r: Row) => number) => m((r) => (bases.get(r.round) ? f(r) / f(bases.get(r.round)!) : undefined));
    const ops = m((r) => r.opsPerS);
    const units = m((r) => r.unitsPerS);
    const p99 = m((r) => r.latency.p99);
    const which = `${cleanRows.length ? cleanRows.length : `none clean, all ${all.length}`} of ${rounds} rounds`;
    out.push(
      all[0]?.unitsPerOp === 1
        ? `- ${v} (${which}): ${ops?.toFixed(0)} rows/s, p99 ${fmtMs(p99 ?? 0)} ms`
        : `- ${v} (${which}): ${ops?.toFixed(0)} ops/s, ${units?.toFixed(0)} transfers/s, p99 ${fmtMs(p99 ?? 0)} ms; vs INSERT: ` +
            `ops/s ${ratio((r) => r.opsPerS)?.toFixed(2)}×, transfers/s ÷ rows/s ${ratio((r) => r.unitsPerS)?.toFixed(2)}×, p99 ${ratio((r) => r.latency.p99)?.toFixed(2)}×`,
    );
  }
  const s16 = rows.filter((r) => r.variant === 'spend, group commit');
  const s1 = rows.filter((r) => r.variant === 'spend, group commit, 1 shard');
  const hot = median(s16.map((r) => r.opsPerS / (s1.find((x) => x.round === r.round)?.opsPerS ?? NaN)));
  const hotP99 = median(s16.map((r) => (s1.find((x) => x.round === r.round)?.latency.p99 ?? NaN) / r.latency.p99));
  if (hot !== undefined) out.push(`- 16 shards vs 1 shard, same round (median of ${rounds}): ${hot.toFixed(2)}× the spends/s, 1 shard's p99 ${hotP99?.toFixed(2)}× as long`);
  return out;
}

export function notes(
  f: { concurrency: number; pool: number; durationS: number; batch: number; lanes: number; maxOps: number; windowMs: number },
  pushes: number,
  fallbacks: number,
): string {
  return [
    `Workers: ${f.concurrency}, each with one operation in flight; pg pool ${f.pool}. ops/s counts operations completed in the ${f.durationS}s window;`,
    `latency is per operation (for the batch: one transaction of ${f.batch} spends), from call to resolve, over every operation started in the window.`,
    `A spend writes 2 transfers (creator share and 20% platform fee). "rows/s ÷ INSERT" compares transfers/s with the baseline's rows/s.`,
    `CPU columns are % of one core (${CORES} cores = ${CORES * 100}%): bench = this process (workers and pg client), postgres = the backends`,
    `of the bench's database, other = everything else on the machine (other runs, PostgreSQL's WAL writer and checkpointer).`,
    `Lock waiters: backends of the bench's database waiting for a lock (pg_stat_activity, sampled every 200 ms). Pushes counted by the stub Realtime: ${pushes}.`,
    `Group commit: ${f.lanes} lane(s), at most ${f.maxOps} operations a batch, window ${f.windowMs} ms; batches run again one by one after a whole-batch failure: ${fallbacks}.`,
  ].join('\n');
}
