import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Server } from 'socket.io';
import { usageError } from './args.js';

/**
 * A scenario is test/load/scenarios/<name>/scenario.ts exporting `scenario`;
 * the folder name is the command-line name, and the folder holds everything
 * only that scenario uses. `npm run bench -- <name> [flags]` calls its
 * `bench`, `npm run load -- <name> [flags]` its `load`, with the command line
 * after the name: each parses its own flags (`--help` lists them), prints
 * its tables and returns the exit code. Nothing runs when the module is
 * imported, so listing the scenarios loads no bench code: `bench` and `load`
 * import what they need when called.
 *
 * A scenario that is a request/ack loop (ping, calls) gives its `loop` to
 * `loopScenario()`, which makes its bench and load out of the generic ones
 * (loop-bench.ts, loop-load.ts); bench's driver and bare-server children open
 * that loop by the scenario's name.
 */
export interface Scenario {
  readonly name: string;
  /** One line for the list of scenarios. */
  readonly description: string;
  /** `npm run bench -- <name> ...argv`: starts what it measures itself. */
  bench(argv: string[]): Promise<number>;
  /** `npm run load -- <name> ...argv`: drives nodes that are already running. Absent: bench only. */
  load?(argv: string[]): Promise<number>;
  /** The request/ack loop, for scenarios that have one. */
  readonly loop?: RequestLoop;
}

/** A request/ack loop: the runner (runner.ts) owns timing and counting, the loop what a "request" is and its set-up. */
export interface RequestLoop {
  /** Sets up every client (sign-ups, connections) against `urls`; nothing is sent yet. */
  open(opts: LoopOptions): Promise<LoopRun>;
  /**
   * Installs handlers on a plain socket.io Server (no auth, no validation, no
   * rate limit, no adapter) that answer like Pairly does: bench's baseline.
   * Absent when a bare baseline makes no sense for the scenario.
   */
  bare?(io: Server): void;
}

export interface LoopOptions {
  /** Targets; clients are spread over them round-robin. 127.0.0.1 only. */
  urls: string[];
  clients: number;
  /** False against the bare baseline: no sign-up, no token. */
  auth: boolean;
  /** Per-request ack timeout. */
  timeoutMs: number;
  /** Sign-ups and connects running at once during set-up. */
  setupConcurrency: number;
  log(message: string): void;
}

export interface LoopRun {
  /** Clients actually opened; the runner drives `clients × inflight` loops over them. */
  readonly clients: number;
  /** Set-up phases and their wall time in ms, for the report (e.g. signup, connect). */
  readonly setupMs: Record<string, number>;
  /** One request from client `i`: resolves on a positive ack, throws a LoadError otherwise. */
  request(i: number): Promise<void>;
  close(): Promise<void>;
}

/** A failed request. `fatal` stops the loop that saw it (its socket is gone: retrying only counts timeouts). */
export class LoadError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly fatal = false,
  ) {
    super(message);
    this.name = 'LoadError';
  }
}

/** What `npm run bench` starts beside Pairly for a loop (calls: a Janus); `env` is added to Pairly's. */
export type BenchServices = (log: (message: string) => void) => Promise<{ env: Record<string, string>; stop(): Promise<void> }>;

/**
 * A request/ack scenario: bench and load are the generic ones, driving
 * `loop`; `usageNote` ends their --help (other forms of the scenario).
 */
export function loopScenario(s: {
  name: string;
  description: string;
  loop: RequestLoop;
  usageNote?: string;
  benchServices?: BenchServices;
}): Scenario & { loop: RequestLoop } {
  return {
    name: s.name,
    description: s.description,
    loop: s.loop,
    bench: async (argv) => (await import('./loop-bench.js')).benchLoop(s, argv),
    load: async (argv) => (await import('./loop-load.js')).loadLoop(s, argv),
  };
}

const SCENARIO_DIR = fileURLToPath(new URL('../scenarios/', import.meta.url));
const NAME = /^[a-z][a-z0-9-]{0,40}$/;
const fileOf = (name: string) => `${SCENARIO_DIR}${name}/scenario.ts`;

export function scenarioNames(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((n) => NAME.test(n) && existsSync(fileOf(n)))
    .sort();
}

export async function loadScenario(name: string): Promise<Scenario> {
  if (!NAME.test(name) || !existsSync(fileOf(name))) {
    throw new Error(`unknown scenario "${name}"; available: ${scenarioNames().join(', ')}`);
  }
  const mod = (await import(pathToFileURL(fileOf(name)).href)) as { scenario?: Scenario };
  const s = mod.scenario;
  if (!s || typeof s.bench !== 'function' || s.name !== name) {
    throw new Error(`test/load/scenarios/${name}/scenario.ts must export \`scenario\` with name "${name}" and bench()`);
  }
  return s;
}

/** The request/ack loop of scenario `name` (bench's driver and bare-server children). */
export async function loadLoop(name: string): Promise<RequestLoop> {
  const s = await loadScenario(name);
  if (!s.loop) throw new Error(`scenario "${name}" is not a request/ack loop`);
  return s.loop;
}

/**
 * `npm run bench|load -- <scenario> [flags]`: the one entry. The scenario's
 * name comes first; everything after it is the scenario's own command line.
 */
export async function runEntry(kind: 'bench' | 'load', argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const usage = await entryUsage(kind);
  if (name === undefined || name === '--help' || name === '-h') {
    if (name === undefined) console.error(usage);
    else console.log(usage);
    return name === undefined ? 2 : 0;
  }
  if (name.startsWith('-')) usageError(`name the scenario first, then its flags: got "${name}"`, usage);
  const scenario = await loadScenario(name).catch((err: Error) => usageError(err.message, usage));
  if (kind === 'load' && !scenario.load) {
    usageError(`${name} runs only as \`npm run bench -- ${name}\`: it starts what it measures itself`, usage);
  }
  return kind === 'bench' ? scenario.bench(rest) : scenario.load!(rest);
}

async function entryUsage(kind: 'bench' | 'load'): Promise<string> {
  const all = await Promise.all(scenarioNames().map((n) => loadScenario(n)));
  const listed = all.filter((s) => kind === 'bench' || s.load);
  const width = Math.max(...listed.map((s) => s.name.length));
  return [
    kind === 'bench'
      ? 'usage: npm run bench -- <scenario> [flags]   (starts the servers it measures itself)'
      : 'usage: npm run load -- <scenario> --url URL [--url URL ...] [flags]   (against nodes already running)',
    `       npm run ${kind} -- <scenario> --help   lists that scenario's flags`,
    'scenarios:',
    ...listed.map((s) => `  ${s.name.padEnd(width)}  ${s.description}`),
  ].join('\n');
}
