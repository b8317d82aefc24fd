import { CLEAN_OTHER_PCT, median, otherPct, type CpuWindow } from '../../lib/machine.js';
import { fmtMs, pct } from '../../lib/summary.js';
import type { CrowdResult } from './crowd.js';
import type { ServerCpu } from './window.js';

/** The match tables, medians over rounds and notes (markdown, pasted as is into BENCHMARKS.md). */

export const RATE_LIMIT_WARNING =
  'warning: a node answered RATE_LIMITED: its per-user limits throttle this loop, so what follows measures them. ' +
  'Start the nodes with raised MATCH_SKIPS_PER_MINUTE, CHAT_MESSAGES_PER_10S, CHAT_FLOOD_PER_5S, SOCKET_EVENTS_PER_SECOND ' +
  '(and MATCH_COOLDOWN_SECONDS=0 or small), as npm run bench -- match does.';

export interface Row {
  round: number;
  nodes: number;
  standing: number;
  /** One pairing pass (the server's Lua script) over the standing queue alone, ms (median of 3). */
  passMs: number | undefined;
  result: CrowdResult;
  server: ServerCpu;
  cpu: Partial<CpuWindow> & { selfPct: number; machinePct: number | undefined };
  load1: number;
}

const otherOf = (r: Row) => otherPct(r.cpu.machinePct, [r.server.cpuPct, r.cpu.selfPct, r.cpu.pgPct, r.cpu.redisPct]);

export function table(rows: Row[], withStanding: boolean): string {
  const head = [
    'nodes', 'cycling users', ...(withStanding ? ['standing waiters', 'pass over standing ms'] : []),
    'pairs/s', 'messages/s', 'time-to-pair p50 ms', 'p95 ms', 'p99 ms', 'longest wait ms', 'p50 / p99 with interest ms', 'p50 / p99 without ms',
    'waiting at end', 'double pairings', 'errors', 'servers CPU', 'server µs/pair', 'clients CPU', 'redis CPU', 'postgres CPU', 'other CPU', 'load avg',
  ];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---:').join(' | ')} |`];
  for (const r of rows) {
    const x = r.result;
    lines.push(
      `| ${[
        `${r.nodes}${rows.some((y) => y.round > 1) ? ` #${r.round}` : ''}`,
        x.users,
        ...(withStanding ? [r.standing, r.passMs === undefined ? '—' : fmtMs(r.passMs)] : []),
        x.pairsPerS.toFixed(0),
        x.messagesPerS.toFixed(0),
        fmtMs(x.ttp.p50),
        fmtMs(x.ttp.p95),
        fmtMs(x.ttp.p99),
        fmtMs(x.longestWaitMs),
        `${fmtMs(x.ttpWithInterests.p50)} / ${fmtMs(x.ttpWithInterests.p99)}`,
        `${fmtMs(x.ttpWithout.p50)} / ${fmtMs(x.ttpWithout.p99)}`,
        x.waitingAtEnd,
        x.doublePairings,
        x.errors,
        pct(r.server.cpuPct),
        r.server.cpuPct !== undefined && x.pairsPerS > 0 ? ((r.server.cpuPct * 10_000) / x.pairsPerS).toFixed(0) : '—',
        pct(r.cpu.selfPct),
        pct(r.cpu.redisPct),
        pct(r.cpu.pgPct),
        pct(otherOf(r)),
        r.load1.toFixed(2),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

export function errorLines(rows: Row[]): string[] {
  return rows
    .filter((r) => r.result.errors > 0 || r.result.sessionTimeouts > 0)
    .map(
      (r) =>
        `errors with ${r.nodes} node(s), ${r.standing} standing: ${Object.entries(r.result.errorCodes).map(([c, n]) => `${c} ${n}`).join(', ') || 'none'}` +
        `${r.result.sessionTimeouts ? `; ${r.result.sessionTimeouts} sessions skipped after the ${'timeout'}` : ''}`,
    );
}

export function medianLines(rows: Row[]): string[] {
  const rounds = Math.max(...rows.map((r) => r.round));
  if (rounds < 2) return [];
  const out = [`Medians over rounds (rows with other CPU ≤ ${CLEAN_OTHER_PCT}% where there are any):`];
  const keys = [...new Set(rows.map((r) => `${r.nodes}|${r.standing}`))];
  for (const k of keys) {
    const all = rows.filter((r) => `${r.nodes}|${r.standing}` === k);
    const clean = all.filter((r) => (otherOf(r) ?? 0) <= CLEAN_OTHER_PCT);
    const use = clean.length ? clean : all;
    const m = (fn: (r: Row) => number) => median(use.map(fn)) ?? 0;
    out.push(
      `- ${all[0]!.nodes} node(s), ${all[0]!.standing} standing (${use.length} of ${all.length} rows): ${m((r) => r.result.pairsPerS).toFixed(0)} pairs/s, ` +
        `time to pair p50 ${fmtMs(m((r) => r.result.ttp.p50))} ms, p95 ${fmtMs(m((r) => r.result.ttp.p95))} ms, p99 ${fmtMs(m((r) => r.result.ttp.p99))} ms, ` +
        `longest wait ${fmtMs(m((r) => r.result.longestWaitMs))} ms`,
    );
  }
  return out;
}

export function notes(timeoutMs: number): string {
  return [
    'Each cycling user: match:join (30% with one of 4 interests) → match:found → one chat:send each on the session conversation →',
    'the user with the smaller id skips (match:next, requeued at once) once its message is acked and the peer\'s has arrived; the peer gets',
    `match:ended and joins again. A session not done after ${timeoutMs} ms is skipped anyway. Time to pair: emit of match:join/match:next → match:found,`,
    'on the client, for every match:found that arrived in the window; pairs/s = match:found events in the window ÷ 2.',
    'CPU columns are % of one core (2 cores = 200%): servers = the Pairly node processes (their /metrics), clients = this process',
    '(all sockets), redis = the Redis server (INFO cpu, whole server), postgres = backends of the bench database, other = the rest of the machine.',
  ].join('\n');
}
