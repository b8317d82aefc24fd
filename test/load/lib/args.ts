import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The request/ack loop's flags (loop-bench.ts and loop-load.ts), with their defaults. */
export const loopOptions = {
  clients: { type: 'string', short: 'c', default: '200' },
  duration: { type: 'string', short: 'd', default: '10' },
  warmup: { type: 'string', default: '2' },
  inflight: { type: 'string', default: '1' },
  rate: { type: 'string', default: '0' },
  timeout: { type: 'string', default: '5000' },
  'setup-concurrency': { type: 'string', default: '16' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const LOOP_USAGE = `  --clients N            sockets (one user each where the target authenticates; default 200)
  --duration S           measured seconds (default 10, at most 600)
  --warmup S             unmeasured seconds first (default 2)
  --inflight K           requests each client keeps in flight (default 1: closed loop)
  --rate R               at most R requests/s per in-flight slot, 0 = as fast as acks return (default 0)
  --timeout MS           ack timeout per request (default 5000)
  --setup-concurrency N  sign-ups and connects at once during set-up (default 16)`;

export interface LoopFlags {
  clients: number;
  durationS: number;
  warmupS: number;
  inflight: number;
  /** Per in-flight slot; 0 = unpaced. */
  ratePerLoop: number;
  timeoutMs: number;
  setupConcurrency: number;
}

/**
 * The one flag parser of the load scripts: node:util parseArgs, strict. A bad
 * flag prints the usage and exits 2, --help prints it and exits 0. Every
 * option must be named in the usage (`--name`): a flag --help does not list
 * is a bug in the script, reported before anything runs.
 */
export function parseCli<const T extends ParseArgsConfig>(usage: string, config: T): ReturnType<typeof parseArgs<T>> {
  const unlisted = Object.keys(config.options ?? {}).filter((k) => k !== 'help' && !new RegExp(`--${k}(?![\\w-])`).test(usage));
  if (unlisted.length) throw new Error(`the usage text does not name ${unlisted.map((k) => `--${k}`).join(', ')}`);
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  return parsed;
}

export function usageError(message: string, usage: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

export function numberFlag(name: string, raw: string | undefined, min: number, max: number, usage: string, integer = true): number {
  const n = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    usageError(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${raw}"`, usage);
  }
  return n;
}

/** A comma-separated list of numbers, e.g. `--calls 1,2,4`. */
export function listFlag(name: string, raw: string | undefined, min: number, max: number, usage: string): number[] {
  return String(raw).split(',').map((x) => numberFlag(name, x.trim(), min, max, usage));
}

/** Repeated `--env KEY=VALUE`: extra settings for the Pairly nodes a bench starts. */
export function envFlag(raw: string[] | undefined, usage: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of raw ?? []) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(kv);
    if (!m) usageError(`--env takes KEY=VALUE, got "${kv}"`, usage);
    env[m[1]!] = m[2]!;
  }
  return env;
}

/** One of `choices`, e.g. `--mode embedded|cluster`. */
export function choiceFlag<const C extends string>(name: string, raw: string | undefined, choices: readonly C[], usage: string): C {
  if (!choices.includes(raw as C)) usageError(`--${name} must be ${choices.join(' or ')}, got "${raw}"`, usage);
  return raw as C;
}

export function loopFlags(v: Partial<Record<keyof typeof loopOptions, string | boolean>>, usage: string): LoopFlags {
  const s = (k: keyof typeof loopOptions) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  return {
    clients: numberFlag('clients', s('clients'), 1, 20_000, usage),
    durationS: numberFlag('duration', s('duration'), 1, 600, usage, false),
    warmupS: numberFlag('warmup', s('warmup'), 0, 60, usage, false),
    inflight: numberFlag('inflight', s('inflight'), 1, 100, usage),
    ratePerLoop: numberFlag('rate', s('rate'), 0, 100_000, usage, false),
    timeoutMs: numberFlag('timeout', s('timeout'), 100, 60_000, usage),
    setupConcurrency: numberFlag('setup-concurrency', s('setup-concurrency'), 1, 256, usage),
  };
}

/** Load traffic goes to this machine only. */
export function assertLoopback(url: string, usage: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    usageError(`not a URL: "${url}"`, usage);
  }
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) && !u.hostname.startsWith('127.')) {
    usageError(`refusing to load ${u.host}: load scripts only target 127.0.0.0/8 or localhost`, usage);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') usageError(`unsupported protocol in ${url}`, usage);
  return u.origin;
}

/** `--url` given at least once, each on this machine and answering /healthz; the origins. */
export async function nodeUrls(raw: string[] | undefined, usage: string): Promise<string[]> {
  if (!raw?.length) usageError('give at least one --url', usage);
  const urls = raw.map((u) => assertLoopback(u, usage));
  for (const url of urls) {
    const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false);
    if (!ok) usageError(`${url}/healthz does not answer: is the node running?`, usage);
  }
  return urls;
}
