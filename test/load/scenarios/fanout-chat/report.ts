import { median } from '../../lib/machine.js';
import { f, p99Cell, pct, type JobRow } from './beside-chat.js';
import type { FanoutResult } from './seed.js';

/** The fan-out's table of `npm run bench -- fanout-chat` (the chat phases' is beside-chat.ts's). */

export function fanoutTable(rows: JobRow<FanoutResult>[], followers: number): string {
  const head = '| round | rows | time to finish | rows/s | chat 1-s p99 during it (max / median) | workers CPU | PostgreSQL CPU | node CPU | other CPU |';
  const sep = '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  const lines = rows.map((r) => {
    const s = r.result.finishMs / 1000;
    const ok = r.result.rows === followers ? '' : ` (expected ${followers})`;
    return (
      `| ${r.round} | ${r.result.rows}${ok} | ${f(s, 2)} s${r.outlasted ? ' (outlasted the window)' : ''} | ${Math.round(r.result.rows / s)} ` +
      `| ${p99Cell(r.p99PerSecond)} | ${pct(r.cpu.workersPct)} | ${pct(r.cpu.pgPct)} | ${pct(r.cpu.nodePct)} | ${pct(r.cpu.otherPct)} |`
    );
  });
  return [head, sep, ...lines].join('\n');
}

export function fanoutSummary(rows: JobRow<FanoutResult>[]): string[] {
  const finish = median(rows.map((x) => x.result.finishMs / 1000));
  const rate = median(rows.map((x) => x.result.rows / (x.result.finishMs / 1000)));
  return finish === undefined ? [] : [`fan-out median: ${f(finish, 2)} s to finish, ${Math.round(rate ?? 0)} rows/s`];
}

/** A fan-out that missed a follower fails the run. */
export function fanoutFailure(rows: JobRow<FanoutResult>[], followers: number): string | undefined {
  const short = rows.find((x) => x.result.rows !== followers);
  return short ? `round ${short.round}: the fan-out wrote ${short.result.rows} feed rows for ${followers} followers` : undefined;
}
