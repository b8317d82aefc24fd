import { median } from '../../lib/machine.js';
import { f, p99Cell, pct, type JobRow } from '../fanout-chat/beside-chat.js';
import type { MassResult } from './watch.js';

/** The mass-message table of `npm run bench -- mass-message` (the chat phases' is beside-chat.ts's). */

export function massTable(rows: JobRow<MassResult>[]): string {
  const head = '| round | recipients | copies | missing | doubled | time to finish | messages/s | progress pushes | stats read | chat 1-s p99 during it (max / median) | workers CPU | PostgreSQL CPU | node CPU | Redis CPU | other CPU |';
  const sep = '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  const lines = rows.map((r) => {
    const s = r.result.finishMs / 1000;
    return (
      `| ${r.round} | ${r.result.sent} | ${r.result.copies} | ${r.result.missing} | ${r.result.doubled} | ${f(s, 2)} s${r.outlasted ? ' (outlasted the window)' : ''} | ${Math.round(r.result.copies / s)} | ${r.result.pushes} | ${Math.round(r.result.statsMs)} ms ` +
      `| ${p99Cell(r.p99PerSecond)} ` +
      `| ${pct(r.cpu.workersPct)} | ${pct(r.cpu.pgPct)} | ${pct(r.cpu.nodePct)} | ${pct(r.cpu.redisPct)} | ${pct(r.cpu.otherPct)} |`
    );
  });
  return [head, sep, ...lines].join('\n');
}

export function massSummary(rows: JobRow<MassResult>[]): string[] {
  const finish = median(rows.map((x) => x.result.finishMs / 1000));
  const rate = median(rows.map((x) => x.result.copies / (x.result.finishMs / 1000)));
  return finish === undefined ? [] : [`mass message median: ${f(finish, 2)} s to finish, ${Math.round(rate ?? 0)} messages stored/s`];
}

/** A follower without exactly one copy fails the run. */
export function massFailure(rows: JobRow<MassResult>[], followers: number): string | undefined {
  const short = rows.find((x) => x.result.sent !== followers || x.result.copies !== followers || x.result.missing || x.result.doubled);
  if (short) return `round ${short.round}: ${short.result.sent} recipients, ${short.result.copies} copies, ${short.result.missing} missing, ${short.result.doubled} doubled for ${followers} followers`;
  return undefined;
}
