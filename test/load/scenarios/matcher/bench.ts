import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import * as after from '../../../../server/src/modules/match/match.queue.js';
import type { MatchQueue, QueueEntry, QueueOptions } from '../../../../server/src/modules/match/match.queue.js';
import { startRedisCluster, type RedisCluster } from '../../../support/redis-cluster.js';
import { createRedisPrefix, TEST_REDIS_URL } from '../../../support/services.js';
import { numberFlag, listFlag, parseCli } from '../../lib/args.js';
import { load1, waitForLowLoad } from '../../lib/machine.js';
import { fmtMs, mdRow } from '../../lib/summary.js';
import * as before from './baseline/match.queue.js';
import { arrivalEntry, easy, rng, standingEntry, unpairable } from './population.js';

/**
 * `npm run bench -- matcher`: the random-match queue alone (no sockets, no
 * PostgreSQL), today's code ("before", kept in ./baseline) against the
 * current one ("after"), each on the Redis driver (real Redis, Lua) and the
 * memory driver (embedded mode), in the same run.
 *
 * 1. Throughput with W standing waiters of mixed ages, ranges, interests and
 *    genders who do not fit one another (population.ts, the same seeded crowd
 *    for every variant) and arrivals of mixed preferences who mostly fit
 *    some of them (4 × pairs-per-pass arrivals waiting at any time): one pairing
 *    pass at a time, back to back, as one node's MatchService runs them
 *    (pairs-per-pass session ids each); every user paired is replaced at
 *    once by a new one of their kind joining (join calls in flight beside
 *    the passes), so about W wait all along. pairs/s over the measured window; time to pair
 *    for those who joined in the window = from the join call to the end of
 *    the pass that paired them; the share of them paired by the end.
 * 2. Pass cost beside U waiters nobody can pair: after U such users joined
 *    (and, for "after", were looked at once, as they would be on arrival),
 *    two users who fit each other join and one pass is timed, N times.
 */

const USAGE = `usage: npm run bench -- matcher [flags]
  --waiting W       waiting users of mixed preferences in the throughput runs (default 10000)
  --duration S      measured seconds per throughput run (default 5)
  --warmup S        unmeasured seconds first (default 1)
  --per-pass P      session ids per pass, as MatchService's pairsPerPass (default 50)
  --standing L      numbers of unpairable waiters for the pass-cost runs (default 0,1000,10000)
  --reps N          timed passes per pass-cost run (default 30)
  --rates L         offered pairs/s of the time-to-pair runs (default 500,2500)
  --drivers L       redis,memory,redis-cluster (default redis,memory). redis-cluster: the current queue on a
                    three-master Redis Cluster started here (ports 7101-7106; the queue is one hash slot, so one
                    master serves it; Redis CPU is that master's); the old copy has no Cluster support and is skipped
  --rounds N        rounds; before and after alternate their order (default 1)
  --no-wait         do not wait for a load average below 1.2 before starting
Real Redis at TEST_REDIS_URL (127.0.0.1); keys under a fresh prefix, removed at the end.`;

type Driver = 'redis' | 'memory' | 'redis-cluster';

/** Started at the first redis-cluster run, stopped at the end. */
let cluster: RedisCluster | undefined;
type Impl = 'before' | 'after';
/** Production values: drivers.ts (scan 500) and config.ts's defaults. */
const OPTS: QueueOptions = { fallbackMs: 5000, cooldownMs: 60_000, scan: 500 };

/** The bench joins, pairs and ends; both the current queue and the baseline copy do that much. */
type Queue = MatchQueue | before.MatchQueue;

interface Made {
  q: Queue;
  close(): Promise<void>;
  redisCpuS(): Promise<number | undefined>;
}

async function make(impl: Impl, driver: Driver): Promise<Made> {
  const lib = impl === 'before' ? before : after;
  if (driver === 'memory') return { q: lib.createMemoryMatchQueue(OPTS), close: async () => {}, redisCpuS: async () => undefined };
  if (driver === 'redis-cluster') {
    cluster ??= await startRedisCluster();
    const client = cluster.client();
    const prefix = `bench${randomUUID().slice(0, 8)}:`;
    const q = after.createRedisMatchQueue(client, prefix, 'bench', OPTS);
    // The master of the queue's one slot (every key of it carries the same hash tag).
    const master = await cluster.masterOf(`${prefix}{mq}`);
    const node = () => client.nodes('master').find((n) => n.options.port === master)!;
    return {
      q,
      async close() {
        // Keys of one slot, all on that master.
        for (;;) {
          const keys = await node().keys(`${prefix}*`);
          if (keys.length === 0) break;
          for (let i = 0; i < keys.length; i += 500) await client.del(...keys.slice(i, i + 500));
        }
        client.disconnect();
      },
      async redisCpuS() {
        const info = await node().info('cpu');
        return Number(/used_cpu_user:([0-9.]+)/.exec(info)?.[1]) + Number(/used_cpu_sys:([0-9.]+)/.exec(info)?.[1]);
      },
    };
  }
  // One connection per queue: the scripts are defined on the connection, under the same names for both.
  const redis = new Redis(TEST_REDIS_URL);
  const p = createRedisPrefix();
  return {
    q: lib.createRedisMatchQueue(redis, p.prefix, 'bench', OPTS),
    async close() {
      await p.cleanup();
      redis.disconnect();
    },
    async redisCpuS() {
      const info = await redis.info('cpu');
      return Number(/used_cpu_user:([0-9.]+)/.exec(info)?.[1]) + Number(/used_cpu_sys:([0-9.]+)/.exec(info)?.[1]);
    },
  };
}

const ids = (n: number) => Array.from({ length: n }, () => randomUUID());
const pctl = (v: number[], p: number) => {
  if (!v.length) return NaN;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (v: number) => (Number.isFinite(v) ? fmtMs(v) : '—');

async function joinAll(q: Queue, entries: QueueEntry[]) {
  for (let i = 0; i < entries.length; i += 500) await Promise.all(entries.slice(i, i + 500).map((e) => q.join(e, Date.now())));
}

/**
 * W standing waiters (population.ts: mixed ages, ranges, interests; not women, seeking women: they
 * never fit one another), who joined over the last 10 s (so about half have waited out the 5 s
 * interest fall-back). Returns who waits, as joined.
 */
async function stand(q: Queue, r: () => number, w: number): Promise<Map<string, { e: QueueEntry; joined: number }>> {
  const waiting = new Map<string, { e: QueueEntry; joined: number }>();
  const now = Date.now();
  const all = Array.from({ length: w }, () => ({ e: standingEntry(r), joined: now - Math.floor(r() * 10_000) })).sort((x, y) => x.joined - y.joined);
  for (let i = 0; i < all.length; i += 500) await Promise.all(all.slice(i, i + 500).map((x) => q.join(x.e, x.joined)));
  for (const x of all) waiting.set(x.e.userId, x);
  return waiting;
}

async function throughput(impl: Impl, driver: Driver, f: Flags, seed: number): Promise<string> {
  const m = await make(impl, driver);
  try {
    const r = rng(seed);
    const standing = await stand(m.q, r, f.waiting);
    const joinedAt = new Map<string, number>();
    const inFlight = new Set<Promise<void>>();
    const track = (p: Promise<void>) => {
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    };
    const arrive = () => {
      const e = arrivalEntry(r);
      const t = performance.now();
      track(m.q.join(e, Date.now()).then(() => void joinedAt.set(e.userId, t)));
    };
    /** A standing waiter paired is replaced by another, so about W stand all along. */
    const restand = () => {
      const e = standingEntry(r);
      const now = Date.now();
      standing.set(e.userId, { e, joined: now });
      track(m.q.join(e, now).then(() => undefined));
    };
    for (let i = 0; i < 4 * f.perPass; i++) arrive();
    const start = performance.now();
    const windowStart = start + f.warmupS * 1000;
    const end = windowStart + f.durationS * 1000;
    let pairs = 0;
    let passes = 0;
    let arrivals = 0;
    const passMs: number[] = [];
    const ttp: number[] = [];
    let cpu0: [number | undefined, NodeJS.CpuUsage] | undefined;
    while (performance.now() < end) {
      const measuring = performance.now() >= windowStart;
      if (measuring && !cpu0) cpu0 = [await m.redisCpuS(), process.cpuUsage()];
      const ps = performance.now();
      const out = await m.q.pair('text', Date.now(), ids(f.perPass));
      const pe = performance.now();
      if (measuring) {
        passes++;
        pairs += out.length;
        passMs.push(pe - ps);
      }
      for (const p of out) {
        for (const u of [p.userId, p.peerId]) {
          if (standing.delete(u)) {
            restand();
            continue;
          }
          const t = joinedAt.get(u);
          joinedAt.delete(u);
          if (t !== undefined && t >= windowStart) ttp.push(pe - t);
          if (measuring) arrivals++;
          arrive();
        }
      }
      // Nobody to pair: as MatchService, the next pass comes with the next join (or its timer).
      if (out.length === 0) await (inFlight.size ? Promise.race(inFlight) : sleep(1));
    }
    const windowS = (performance.now() - windowStart) / 1000;
    const redis1 = await m.redisCpuS();
    const self = process.cpuUsage(cpu0![1]);
    await Promise.all(inFlight);
    const joinedInWindow = ttp.length + [...joinedAt.values()].filter((t) => t >= windowStart).length;
    const redisPct = cpu0![0] !== undefined && redis1 !== undefined ? `${(((redis1 - cpu0![0]) / windowS) * 100).toFixed(0)}%` : '—';
    const sizes = await m.q.sizes();
    return mdRow([
      impl, driver, f.waiting, Math.round(pairs / windowS), Math.round(passes / windowS),
      `${ms(pctl(passMs, 50))} / ${ms(pctl(passMs, 99))} / ${ms(Math.max(...passMs))}`,
      `${ms(pctl(ttp, 50))} / ${ms(pctl(ttp, 95))} / ${ms(pctl(ttp, 99))}`,
      joinedInWindow ? `${((ttp.length / joinedInWindow) * 100).toFixed(0)}%` : '—',
      sizes.text, redisPct, `${(((self.user + self.system) / 1e6 / windowS) * 100).toFixed(0)}%`, load1().toFixed(2),
    ]);
  } finally {
    await m.close();
  }
}

/** What the queue requires of a pair now (population.ts has no blocks; cooldowns do not arise: nobody is requeued). */
function pairableNow(a: QueueEntry, aJoined: number, b: QueueEntry, bJoined: number, now: number): boolean {
  const accepts = (x: QueueEntry, y: QueueEntry) => (x.seeks.length === 0 || (y.gender !== null && x.seeks.includes(y.gender))) && y.age >= x.ageMin && y.age <= x.ageMax;
  if (!accepts(a, b) || !accepts(b, a)) return false;
  if (a.interests.some((i) => b.interests.includes(i))) return true;
  return (!a.interests.length && !b.interests.length) || now - aJoined >= OPTS.fallbackMs || now - bJoined >= OPTS.fallbackMs;
}

/**
 * Arrivals at a set rate (users/s = the pairs/s offered: most pair with a standing waiter) beside W waiting, passes run as
 * MatchService.pairNow runs them (one at a time; a join during a pass asks for one more; a full pass
 * is followed by another). Every 10th arrival is a probe: whether someone it can be paired with now
 * waits at its join is checked against the bench's own copy of the queue; time to pair is reported
 * for those probes, and for every arrival.
 */
async function latency(impl: Impl, driver: Driver, f: Flags, pairsPerS: number, seed: number): Promise<string> {
  const m = await make(impl, driver);
  try {
    const r = rng(seed);
    const waiting = await stand(m.q, r, f.waiting);
    const standingIds = new Set(waiting.keys());
    const joinedAt = new Map<string, { t: number; probe: boolean }>();
    const all: number[] = [];
    const probes: number[] = [];
    let probesUnpaired = 0;
    let pairs = 0;
    let running: Promise<void> | undefined;
    let again = false;
    const passMs: number[] = [];
    let windowStart = Infinity;
    const pass = async () => {
      const t = performance.now();
      const out = await m.q.pair('text', Date.now(), ids(f.perPass));
      const pe = performance.now();
      if (t >= windowStart) passMs.push(pe - t), (pairs += out.length);
      for (const p of out) {
        for (const u of [p.userId, p.peerId]) {
          waiting.delete(u);
          if (standingIds.delete(u)) {
            // Replaced, so about W stand all along (not timed, not awaited: another node's join).
            const e = standingEntry(r);
            const now = Date.now();
            standingIds.add(e.userId);
            waiting.set(e.userId, { e, joined: now });
            void m.q.join(e, now);
            continue;
          }
          const j = joinedAt.get(u);
          joinedAt.delete(u);
          if (j && j.t >= windowStart) (j.probe ? probes : all).push(pe - j.t);
        }
      }
      return out.length === f.perPass;
    };
    const pairNow = () => {
      if (running) return void (again = true);
      running = (async () => {
        let full: boolean;
        do {
          again = false;
          full = await pass();
        } while (full || again);
      })().finally(() => (running = undefined));
    };
    let n = 0;
    const arrive = async () => {
      const e = arrivalEntry(r);
      const now = Date.now();
      let probe = false;
      if (n++ % 10 === 0) {
        for (const w of waiting.values()) if (pairableNow(e, now, w.e, w.joined, now)) { probe = true; break; }
        if (!probe) return; // a probe needs someone to meet; without one it is not a probe, and not sent
      }
      waiting.set(e.userId, { e, joined: now });
      const t = performance.now();
      await m.q.join(e, now);
      joinedAt.set(e.userId, { t, probe });
      pairNow();
    };
    const perTick = pairsPerS / 200; // a tick every 5 ms; each arrival pairs with a standing waiter, or another arrival
    const start = performance.now();
    windowStart = start + f.warmupS * 1000;
    const end = windowStart + f.durationS * 1000;
    let owed = 0;
    const joins = new Set<Promise<void>>();
    while (performance.now() < end) {
      owed += perTick;
      for (; owed >= 1; owed--) {
        const p = arrive();
        joins.add(p);
        void p.finally(() => joins.delete(p));
      }
      await sleep(5);
    }
    const windowS = (performance.now() - windowStart) / 1000;
    await Promise.all(joins);
    await running;
    for (const j of joinedAt.values()) if (j.probe && j.t >= windowStart) probesUnpaired++;
    return mdRow([
      impl, driver, f.waiting, pairsPerS, Math.round(pairs / windowS),
      `${ms(pctl(passMs, 50))} / ${ms(pctl(passMs, 99))}`,
      `${ms(pctl(probes, 50))} / ${ms(pctl(probes, 95))} / ${ms(pctl(probes, 99))}`, `${probes.length} (+${probesUnpaired} unpaired)`,
      `${ms(pctl(all, 50))} / ${ms(pctl(all, 95))} / ${ms(pctl(all, 99))}`, load1().toFixed(2),
    ]);
  } finally {
    await m.close();
  }
}

async function passCost(impl: Impl, driver: Driver, standing: number, reps: number): Promise<string> {
  const m = await make(impl, driver);
  try {
    await joinAll(m.q, Array.from({ length: standing }, unpairable));
    for (let i = 0; i < Math.ceil(standing / OPTS.scan) + 2; i++) await m.q.pair('text', Date.now(), ids(50));
    const times: number[] = [];
    let paired = 0;
    for (let i = 0; i < reps; i++) {
      const [a, b] = [easy(), easy()];
      await m.q.join(a, Date.now());
      await m.q.join(b, Date.now());
      const t = performance.now();
      const out = await m.q.pair('text', Date.now(), ids(50));
      times.push(performance.now() - t);
      if (out.some((p) => [p.userId, p.peerId].sort().join() === [a.userId, b.userId].sort().join())) paired++;
      else for (const u of [a, b]) await m.q.end(u.userId, Date.now(), 'leave');
    }
    return mdRow([impl, driver, standing, ms(pctl(times, 50)), ms(pctl(times, 95)), ms(Math.max(...times)), `${paired}/${reps}`, load1().toFixed(2)]);
  } finally {
    await m.close();
  }
}

interface Flags {
  waiting: number;
  durationS: number;
  warmupS: number;
  perPass: number;
  standing: number[];
  reps: number;
  rates: number[];
  drivers: Driver[];
  rounds: number;
  wait: boolean;
}

export async function benchMatcher(argv: string[]): Promise<number> {
  const { values: v } = parseCli(USAGE, {
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      waiting: { type: 'string', default: '10000' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      'per-pass': { type: 'string', default: '50' },
      standing: { type: 'string', default: '0,1000,10000' },
      reps: { type: 'string', default: '30' },
      rates: { type: 'string', default: '500,2500' },
      drivers: { type: 'string', default: 'redis,memory' },
      rounds: { type: 'string', default: '1' },
      'no-wait': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const f: Flags = {
    waiting: numberFlag('waiting', v.waiting, 2, 100_000, USAGE),
    durationS: numberFlag('duration', v.duration, 1, 600, USAGE),
    warmupS: numberFlag('warmup', v.warmup, 0, 60, USAGE),
    perPass: numberFlag('per-pass', v['per-pass'], 1, 1000, USAGE),
    standing: listFlag('standing', v.standing, 0, 100_000, USAGE),
    reps: numberFlag('reps', v.reps, 1, 10_000, USAGE),
    rates: listFlag('rates', v.rates, 1, 100_000, USAGE),
    drivers: String(v.drivers).split(',').filter((d): d is Driver => d === 'redis' || d === 'memory' || d === 'redis-cluster'),
    rounds: numberFlag('rounds', v.rounds, 1, 20, USAGE),
    wait: !v['no-wait'],
  };
  const log = (s: string) => console.error(`[matcher] ${s}`);
  if (f.wait) await waitForLowLoad(log);
  log(`load average at start ${load1().toFixed(2)}`);
  const tp: string[] = [];
  const pc: string[] = [];
  const lat: string[] = [];
  for (let round = 0; round < f.rounds; round++) {
    const order: Impl[] = round % 2 ? ['after', 'before'] : ['before', 'after'];
    for (const driver of f.drivers) {
      for (const impl of order) {
        if (driver === 'redis-cluster' && impl === 'before') continue;
        log(`round ${round + 1}: throughput ${impl} ${driver}`);
        tp.push(await throughput(impl, driver, f, 1000 + round));
        log(tp.at(-1)!);
      }
    }
    for (const driver of f.drivers) {
      for (const rate of f.rates) {
        for (const impl of order) {
          if (driver === 'redis-cluster' && impl === 'before') continue;
          log(`round ${round + 1}: time to pair at ${rate} pairs/s, ${impl} ${driver}`);
          lat.push(await latency(impl, driver, f, rate, 2000 + round));
          log(lat.at(-1)!);
        }
      }
    }
    for (const driver of f.drivers) {
      for (const standing of f.standing) {
        for (const impl of order) {
          if (driver === 'redis-cluster' && impl === 'before') continue;
          pc.push(await passCost(impl, driver, standing, f.reps));
          log(pc.at(-1)!);
        }
      }
    }
  }
  console.log(`\nThroughput with ${f.waiting} standing waiters and arrivals (mixed preferences and interests), ${f.perPass} session ids per pass, ${f.durationS} s window:\n`);
  console.log('| code | driver | waiting | pairs/s | passes/s | pass ms p50 / p99 / max | time to pair ms p50 / p95 / p99 | joined in window and paired | waiting at end | redis CPU | bench CPU | load avg |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of tp) console.log(row);
  console.log(`\nTime to pair at a set arrival rate beside ${f.waiting} waiting (probes: arrivals for whom someone they can be paired with now was waiting):\n`);
  console.log('| code | driver | waiting | offered pairs/s | pairs/s | pass ms p50 / p99 | probes: time to pair ms p50 / p95 / p99 | probes | every arrival: p50 / p95 / p99 | load avg |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of lat) console.log(row);
  console.log(`\nOne pass pairing two newcomers beside unpairable waiters (${f.reps} passes each):\n`);
  console.log('| code | driver | unpairable waiting | pass ms p50 | p95 | max | pairs made | load avg |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of pc) console.log(row);
  await cluster?.stop();
  return 0;
}
