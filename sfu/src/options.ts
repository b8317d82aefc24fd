import type { CircuitOptions } from './circuit.js';
/** One Janus server of the pool. */
export interface JanusInstanceConfig {
  /** Stable id, stored with every call's room (SfuRoom.instance): keep it when the URLs change. */
  id: string;
  /** Janus's HTTP API as the controller reaches it, e.g. `http://10.0.0.5:8088/janus`. Never handed to clients. */
  apiUrl: string;
  /**
   * The VideoRoom plugin's `admin_key` (janus.plugin.videoroom.jcfg), with
   * `lock_rooms = true`. Required: without an admin_key Janus lets any client
   * create rooms, and `list` never shows private rooms, so the controller could
   * not see the instance's load.
   */
  adminSecret: string;
  /** Janus as participants' clients reach it (its public WebSocket URL, e.g. `wss://sfu1.example.com/janus`): SfuRoom.clientUrl. */
  clientUrl: string;
}

/** Something with pino's (obj, msg) signature; the controller logs only instance failures. */
export interface SfuLogger {
  warn(obj: object, msg: string): void;
}

export interface SfuControllerOptions {
  /** The pool, in order of preference when loads are equal. May be empty (every createRoom then fails). */
  instances: JanusInstanceConfig[];
  /**
   * HMAC key from which room ids, room secrets and participant tokens are
   * derived (at least 32 characters, the same on every node). Rotating it
   * orphans the rooms of calls in progress: their secrets no longer match.
   */
  secret: string;
  /** Limit for each HTTP request to Janus, connecting included. Default 2000 ms. */
  timeoutMs?: number;
  /** Each instance's circuit breaker (see circuit.ts). */
  circuit?: CircuitOptions;
  /** Default: silent. */
  logger?: SfuLogger;
}

export const DEFAULT_TIMEOUT_MS = 2000;

/** Config is validated once, at construction: a bad pool fails at start-up, not at the first call. */
export function validateOptions(opts: SfuControllerOptions): void {
  if (typeof opts.secret !== 'string' || opts.secret.length < 32) {
    throw new TypeError('sfu: `secret` must be at least 32 characters');
  }
  if (opts.timeoutMs !== undefined && !(Number.isInteger(opts.timeoutMs) && opts.timeoutMs > 0)) {
    throw new TypeError('sfu: `timeoutMs` must be a positive integer');
  }
  const seen = new Set<string>();
  for (const inst of opts.instances) {
    if (!inst.id) throw new TypeError('sfu: every instance needs an `id`');
    if (seen.has(inst.id)) throw new TypeError(`sfu: duplicate instance id "${inst.id}"`);
    seen.add(inst.id);
    for (const key of ['apiUrl', 'clientUrl'] as const) {
      if (!URL.canParse(inst[key])) throw new TypeError(`sfu: instance "${inst.id}": \`${key}\` is not a URL`);
    }
    if (!inst.adminSecret) throw new TypeError(`sfu: instance "${inst.id}": \`adminSecret\` (VideoRoom admin_key) is required`);
  }
}
