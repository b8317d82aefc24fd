import { median } from '../../lib/machine.js';
import type { ChatRoundResult } from '../chat/protocol.js';
import type { CpuUse } from '../fanout-chat/cpu.js';
import type { MassResult } from './watch.js';

export type PhaseKind = 'alone' | 'mass message' | 'alone again';

export interface PhaseRow {
  round: number;
  kind: PhaseKind;
  result: ChatRoundResult;
  cpu: CpuUse;
}

/** The mass-message table of `npm run bench -- mass-message` (the chat phases use fanout-chat's phaseTable). */
export interface MassRow {
  round: number;
  result: MassResult;
  cpu: CpuUse;
  /** The chat's 1-s p99 (delivery) of each second while it ran. */
  p99PerSecond: number[];
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

export function massTable(rows: MassRow[]): string {
  const head = '| round | recipients | copies | missing | doubled | time to finish | messages/s | progress pushes | stats read | chat 1-s p99 during it (max / median) | workers CPU | PostgreSQL CPU | node CPU | Redis CPU | other CPU |';
  const sep = '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  const lines = rows.map((r) => {
    const s = r.result.finishMs / 1000;
    return (
      `| ${r.round} | ${r.result.sent} | ${r.result.copies} | ${r.result.missing} | ${r.result.doubled} | ${f(s, 2)} s${r.outlasted ? ' (outlasted the window)' : ''} | ${Math.round(r.result.copies / s)} | ${r.result.pushes} | ${Math.round(r.result.statsMs)} ms ` +
      `| ${r.p99PerSecond.length ? `${f(Math.max(...r.p99PerSecond))} / ${f(median(r.p99PerSecond))} ms (${r.p99PerSecond.length} s)` : 'under 1 s'} ` +
      `| ${pct(r.cpu.workersPct)} | ${pct(r.cpu.pgPct)} | ${pct(r.cpu.nodePct)} | ${pct(r.cpu.redisPct)} | ${pct(r.cpu.otherPct)} |`
    );
  });
  return [head, sep, ...lines].join('\n');
}

export function summaryLines(rows: PhaseRow[], mass: MassRow[]): string[] {
  const of = (k: PhaseKind, pick: (r: PhaseRow) => number) => median(rows.filter((r) => r.kind === k).map(pick));
  const out: string[] = [];
  for (const k of ['alone', 'mass message', 'alone again'] as const) {
    out.push(
      `${k.padEnd(12)} median over rounds: ack p50 ${f(of(k, (r) => r.result.ackLatency.p50))} ms, p95 ${f(of(k, (r) => r.result.ackLatency.p95))} ms, ` +
        `p99 ${f(of(k, (r) => r.result.ackLatency.p99))} ms; delivery p99 ${f(of(k, (r) => r.result.latency.p99))} ms`,
    );
  }
  const alone = median(rows.filter((r) => r.kind !== 'mass message').map((r) => r.result.ackLatency.p99));
  const during = of('mass message', (r) => r.result.ackLatency.p99);
  if (alone && during !== undefined) out.push(`ack p99 during the mass message / alone (median of both alone phases): ${f(during / alone, 2)}×`);
  const finish = median(mass.map((x) => x.result.finishMs / 1000));
  const rate = median(mass.map((x) => x.result.copies / (x.result.finishMs / 1000)));
  if (finish !== undefined) out.push(`mass message median: ${f(finish, 2)} s to finish, ${Math.round(rate ?? 0)} messages stored/s`);
  return out;
}

/** Lost, duplicated or stray chat messages fail the run; so does a follower without exactly one copy. */
export function failedRun(rows: PhaseRow[], mass: MassRow[], followers: number): string | undefined {
  const bad = rows.find((r) => r.result.total.lost || r.result.total.duplicates || r.result.total.strays);
  if (bad) return `round ${bad.round} ${bad.kind}: ${bad.result.total.lost} lost, ${bad.result.total.duplicates} duplicated, ${bad.result.total.strays} stray`;
  const short = mass.find((x) => x.result.sent !== followers || x.result.copies !== followers || x.result.missing || x.result.doubled);
  if (short) return `round ${short.round}: ${short.result.sent} recipients, ${short.result.copies} copies, ${short.result.missing} missing, ${short.result.doubled} doubled for ${followers} followers`;
  return undefined;
}
