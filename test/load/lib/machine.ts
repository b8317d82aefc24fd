import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Redis } from 'ioredis';
import { machineBusyPct, machineCpu, procStat, type MachineCpu } from './probe.js';

/**
 * Machine accounting shared by the ledger and match benches: whole-machine
 * CPU, the CPU of PostgreSQL backends serving one database and of the Redis
 * server, and the 1-minute load average. "Other CPU" is what is left of the
 * machine's busy time once everything the bench knows about is taken out:
 * on this shared 2-core box it shows whether someone else's run competed.
 */

export const CORES = cpus().length;

export const load1 = (): number => loadavg()[0] ?? 0;

/**
 * Waits (at most `maxWaitS`) until the 1-minute load average is below
 * `threshold`, so that measurements start on a quiet machine. Returns the
 * load average it started with.
 */
export async function waitForLowLoad(log: (m: string) => void, threshold = 1.2, maxWaitS = 300): Promise<number> {
  const deadline = Date.now() + maxWaitS * 1000;
  let told = false;
  while (load1() >= threshold && Date.now() < deadline) {
    if (!told) log(`load average ${load1().toFixed(2)} ≥ ${threshold}: waiting (at most ${maxWaitS} s) for the machine to calm down`);
    told = true;
    await sleep(5000);
  }
  if (load1() >= threshold) log(`load average still ${load1().toFixed(2)} after ${maxWaitS} s: measuring anyway (see the other CPU column)`);
  return load1();
}

/** PIDs of the PostgreSQL backends connected to `database` (other databases' backends are someone else's). */
async function backendPids(admin: pg.Client, database: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
  return rows.map((r) => r.pid);
}

export interface CpuSnapshot {
  atMs: number;
  machine: MachineCpu | undefined;
  /** CPU µs so far of each backend of the database. */
  pg: Map<number, number>;
  /** Seconds of CPU the Redis server used so far (INFO cpu), when watched. */
  redisS?: number;
  /** Process CPU µs of this process. */
  selfUs: number;
}

export interface CpuWindow {
  /** % of one core over the window. */
  selfPct: number;
  pgPct: number;
  redisPct?: number;
  machinePct: number | undefined;
}

/** Snapshots at the two ends of a measured window; `pgDatabase` names the database whose backends count as "postgres". */
export class CpuWatch {
  constructor(
    private readonly o: { admin: pg.Client; pgDatabase: string; redis?: Redis },
  ) {}

  async snapshot(): Promise<CpuSnapshot> {
    const pids = await backendPids(this.o.admin, this.o.pgDatabase).catch(() => [] as number[]);
    const pgUs = new Map<number, number>();
    for (const pid of pids) {
      const t = procStat(pid)?.cpuUs;
      if (t !== undefined) pgUs.set(pid, t);
    }
    let redisS: number | undefined;
    if (this.o.redis) {
      const info = await this.o.redis.info('cpu').catch(() => '');
      const user = /used_cpu_user:([0-9.]+)/.exec(info)?.[1];
      const sys = /used_cpu_sys:([0-9.]+)/.exec(info)?.[1];
      if (user !== undefined && sys !== undefined) redisS = Number(user) + Number(sys);
    }
    const cpu = process.cpuUsage();
    return { atMs: performance.now(), machine: machineCpu(), pg: pgUs, ...(redisS !== undefined ? { redisS } : {}), selfUs: cpu.user + cpu.system };
  }

  static window(a: CpuSnapshot, b: CpuSnapshot): CpuWindow {
    const ms = Math.max(1, b.atMs - a.atMs);
    let us = 0;
    // A backend that appeared during the window counts whole (it was born in it, near enough).
    for (const [pid, t1] of b.pg) us += t1 - (a.pg.get(pid) ?? 0);
    const pgPct = (us / 1000 / ms) * 100;
    const redisPct = a.redisS !== undefined && b.redisS !== undefined ? (((b.redisS - a.redisS) * 1000) / ms) * 100 : undefined;
    return {
      selfPct: ((b.selfUs - a.selfUs) / 1000 / ms) * 100,
      pgPct,
      ...(redisPct !== undefined ? { redisPct } : {}),
      machinePct: machineBusyPct(a.machine, b.machine),
    };
  }
}

/** Machine busy time (% of one core) not explained by the processes listed. */
export function otherPct(machinePct: number | undefined, known: Array<number | undefined>): number | undefined {
  if (machinePct === undefined) return undefined;
  return Math.max(0, machinePct * CORES - known.reduce<number>((s, v) => s + (v ?? 0), 0));
}


export function median(values: number[]): number | undefined {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1]! + v[mid]!) / 2;
}

/** Rounds whose other CPU stayed at or below this (% of one core) count as clean, as in the ping bench. */
export const CLEAN_OTHER_PCT = 25;
