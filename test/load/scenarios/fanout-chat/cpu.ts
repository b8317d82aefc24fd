import { CORES, load1 } from '../../lib/machine.js';
import { machineBusyPct, machineCpu, procStat, type MachineCpu } from '../../lib/probe.js';
import { pgPidsFor, servicesCpuUs, servicesPct, type ServicesSample } from '../chat/probe.js';

/**
 * Where the machine's CPU went over a window (% of one core; 200% = both cores): the node, the workers
 * process, the chat clients (driver child), PostgreSQL (this database's backends and the server's own
 * processes), Redis, and "other": the rest of the machine, i.e. someone else's work on this shared box.
 */
export interface CpuUse {
  nodePct: number;
  workersPct: number;
  clientsPct: number;
  pgPct: number;
  redisPct: number;
  otherPct: number | undefined;
  load1: number;
}

interface Mark {
  atMs: number;
  pids: number[];
  pidUs: number[];
  services: ServicesSample;
  machine: MachineCpu | undefined;
  pg: Set<number>;
  load1: number;
}

export class CpuMeter {
  constructor(private readonly o: { node: number; workers: number; clients: number; database: string }) {}

  async mark(): Promise<Mark> {
    const pids = [this.o.node, this.o.workers, this.o.clients];
    return {
      atMs: performance.now(),
      pids,
      pidUs: pids.map((p) => procStat(p)?.cpuUs ?? 0),
      services: servicesCpuUs(),
      machine: machineCpu(),
      pg: await pgPidsFor(this.o.database),
      load1: load1(),
    };
  }

  async between(a: Mark): Promise<CpuUse> {
    const b = await this.mark();
    const ms = Math.max(1, b.atMs - a.atMs);
    const [nodePct, workersPct, clientsPct] = a.pids.map((_, i) => (b.pidUs[i]! - a.pidUs[i]!) / 10 / ms) as [number, number, number];
    const { pgPct, redisPct } = servicesPct(a.services, b.services, new Set([...a.pg, ...b.pg]));
    const machine = machineBusyPct(a.machine, b.machine);
    const known = nodePct + workersPct + clientsPct + pgPct + redisPct;
    return {
      nodePct,
      workersPct,
      clientsPct,
      pgPct,
      redisPct,
      otherPct: machine === undefined ? undefined : Math.max(0, machine * CORES - known),
      load1: a.load1,
    };
  }
}
