import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Server } from 'socket.io';

/**
 * A scenario is one module in test/load/scenarios/<name>.ts exporting
 * `scenario`. The runner owns timing and counting; the scenario owns what a
 * "request" is and the set-up it needs (users, sockets, pairs, rooms).
 */
export interface Scenario {
  readonly name: string;
  /** One line for --help. */
  readonly description: string;
  /** Sets up every client (sign-ups, connections) against `urls`; nothing is sent yet. */
  open(opts: ScenarioOptions): Promise<ScenarioRun>;
  /**
   * Installs handlers on a plain socket.io Server (no auth, no validation, no
   * rate limit, no adapter) that answer like Pairly does: bench's baseline.
   * Absent when a bare baseline makes no sense for the scenario.
   */
  bare?(io: Server): void;
}

export interface ScenarioOptions {
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

export interface ScenarioRun {
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

const SCENARIO_DIR = fileURLToPath(new URL('../scenarios/', import.meta.url));
const NAME = /^[a-z][a-z0-9-]{0,40}$/;

export function scenarioNames(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .filter((n) => NAME.test(n))
    .sort();
}

export async function loadScenario(name: string): Promise<Scenario> {
  const file = `${SCENARIO_DIR}${name}.ts`;
  if (!NAME.test(name) || !existsSync(file)) {
    throw new Error(`unknown scenario "${name}"; available: ${scenarioNames().join(', ')}`);
  }
  const mod = (await import(pathToFileURL(file).href)) as { scenario?: Scenario };
  const s = mod.scenario;
  if (!s || typeof s.open !== 'function' || s.name !== name) {
    throw new Error(`test/load/scenarios/${name}.ts must export \`scenario\` with name "${name}" and open()`);
  }
  return s;
}
