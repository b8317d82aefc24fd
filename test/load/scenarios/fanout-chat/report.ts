import { median } from '../../lib/machine.js';
import type { ChatRoundResult } from '../chat/protocol.js';
import type { CpuUse } from './cpu.js';
import type { FanoutResult } from './seed.js';

/** The tables `npm run bench -- fanout-chat` prints. */

export type PhaseKind = 'alone' | 'fan-out' | 'alone again';

export interface PhaseRow {
  round: number;
  kind: PhaseKind;
  result: ChatRoundResult;
  cpu: CpuUse;
}

export interface FanoutRow {
  round: number;
  fanout: FanoutResult;
  /** CPU over the fan-out itself (publish → done seen). */
  cpu: CpuUse;
  /** The chat's 1-s p99 (delivery) of each second while the fan-out ran. */
  p99PerSecond: number[];
  /** The fan-out went on after the chat window closed. */
  outlasted: boolean;
}

const f = (n: number | undefined, d = 1) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(d));
const pct = (n: number | undefined) => (n === undefined ? '–' : `${Math.round(n)}%`);

export function phaseTable(rows: PhaseRow[]): string {
  const head =
    '| round | phase | sent/s | ack p50 | ack p95 | ack p99 | ack max | delivery p99 | errors | lost | node CPU | workers CPU | PostgreSQL CPU | Redis CPU | clients CPU | other CPU | load1 |';
  const sep = '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  const lines = rows.map((r) => {
    const a = r.result.ackLatency;
    const errs = r.result.errors ? `${r.result.errors} (${Object.entries(r.result.errorCodes).map(([k, v]) => `${k} ${v}`).join(', ')})` : '0';
    return (
      `| ${r.round} | ${r.kind} | ${f(r.result.sentRate, 0)} | ${f(a.p50)} | ${f(a.p95)} | ${f(a.p99)} | ${f(a.max, 0)} | ${f(r.result.latency.p99)} | ${errs} | ${r.result.total.lost} ` +
      `| ${pct(r.cpu.nodePct)} | ${pct(r.cpu.workersPct)} | ${pct(r.cpu.pgPct)} | ${pct(r.cpu.redisPct)} | ${pct(r.cpu.clientsPct)} | ${pct(r.cpu.otherPct)} | ${f(r.cpu.load1, 2)} |`
    );
  });
  return [head, sep, ...lines].join('\n');
}

export function fanoutTable(rows: FanoutRow[], followers: number): string {
  const head = '| round | rows | time to finish | rows/s | chat 1-s p99 during it (max / median) | workers CPU | PostgreSQL CPU | node CPU | other CPU |';
  const sep = '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  const lines = rows.map((r) => {
    const s = r.fanout.finishMs / 1000;
    const ok = r.fanout.rows === followers ? '' : ` (expected ${followers})`;
    return (
      `| ${r.round} | ${r.fanout.rows}${ok} | ${f(s, 2)} s${r.outlasted ? ' (outlasted the window)' : ''} | ${Math.round(r.fanout.rows / s)} ` +
      `| ${r.p99PerSecond.length ? `${f(Math.max(...r.p99PerSecond))} / ${f(median(r.p99PerSecond))} ms (${r.p99PerSecond.length} s)` : 'under 1 s'} | ${pct(r.cpu.workersPct)} | ${pct(r.cpu.pgPct)} | ${pct(r.cpu.nodePct)} | ${pct(r.cpu.otherPct)} |`
    );
  });
  return [head, sep, ...lines].join('\n');
}

/** Medians over the rounds per phase, and the fan-out phase against the two alone phases. */
export function summaryLines(rows: PhaseRow[], fanouts: FanoutRow[]): string[] {
  const of = (k: PhaseKind, pick: (r: PhaseRow) => number) => median(rows.filter((r) => r.kind === k).map(pick));
  const out: string[] = [];
  for (const k of ['alone', 'fan-out', 'alone again'] as const) {
    out.push(
      `${k.padEnd(12)} median over rounds: ack p50 ${f(of(k, (r) => r.result.ackLatency.p50))} ms, p95 ${f(of(k, (r) => r.result.ackLatency.p95))} ms, ` +
        `p99 ${f(of(k, (r) => r.result.ackLatency.p99))} ms; delivery p99 ${f(of(k, (r) => r.result.latency.p99))} ms`,
    );
  }
  const alone = median(rows.filter((r) => r.kind !== 'fan-out').map((r) => r.result.ackLatency.p99));
  const during = of('fan-out', (r) => r.result.ackLatency.p99);
  if (alone && during !== undefined) out.push(`ack p99 during the fan-out / alone (median of both alone phases): ${f(during / alone, 2)}×`);
  const finish = median(fanouts.map((x) => x.fanout.finishMs / 1000));
  const rate = median(fanouts.map((x) => x.fanout.rows / (x.fanout.finishMs / 1000)));
  if (finish !== undefined) out.push(`fan-out median: ${f(finish, 2)} s to finish, ${Math.round(rate ?? 0)} rows/s`);
  return out;
}

/** Lost, duplicated or stray messages fail the run; so does a fan-out that missed a follower. */
export function failedRun(rows: PhaseRow[], fanouts: FanoutRow[], followers: number): string | undefined {
  const bad = rows.find((r) => r.result.total.lost || r.result.total.duplicates || r.result.total.strays);
  if (bad) return `round ${bad.round} ${bad.kind}: ${bad.result.total.lost} lost, ${bad.result.total.duplicates} duplicated, ${bad.result.total.strays} stray`;
  const short = fanouts.find((x) => x.fanout.rows !== followers);
  if (short) return `round ${short.round}: the fan-out wrote ${short.fanout.rows} feed rows for ${followers} followers`;
  return undefined;
}
