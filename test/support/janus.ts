import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestNetns } from './netns.js';

/**
 * A real Janus (Debian's `janus` package) for one test, inside a test network
 * namespace (see netns.ts), with a config of its own: only the VideoRoom
 * plugin and the HTTP + WebSocket transports, bound to the namespace's veth
 * address; ICE restricted to that interface; no admin API, event handlers or
 * loggers. The VideoRoom plugin has an admin_key with lock_rooms, as the
 * controller requires.
 */

const JANUS = '/usr/bin/janus';
/** The start script the compose file's janus service runs: the tested configuration is the deployed one. */
const START = fileURLToPath(new URL('../../sfu/janus/janus-start.sh', import.meta.url));

export function assertJanusInstalled(): void {
  // `janus --version` prints the version and exits 1.
  const r = spawnSync(JANUS, ['--version'], { encoding: 'utf8' });
  if (r.error || !/Janus version/.test(r.stdout)) {
    throw new Error(`media tests need Janus at ${JANUS} (apt-get install janus): ${r.error?.message ?? r.stderr}`);
  }
}

export interface JanusOptions {
  /** Default 8088; WebSocket default 8188. Ports are per namespace: two Janus in one namespace need different ones. */
  httpPort?: number;
  wsPort?: number;
  /** Default 20000-20999. */
  rtpPorts?: string;
  /** The VideoRoom admin_key; random by default. */
  adminKey?: string;
}

export interface JanusProcess {
  /** HTTP API from this process, across the veth, e.g. http://10.255.7.1:8088/janus */
  apiUrl: string;
  /** WebSocket API, for browsers inside the namespace. */
  wsUrl: string;
  adminKey: string;
  child: ChildProcess;
  /** Janus's own log (last 64 KiB), for failure messages. */
  output(): string;
  /** SIGKILL, as a crash would; resolves once it has exited. */
  kill(): Promise<void>;
  /** SIGTERM, SIGKILL after 5 s; removes its config dir. Idempotent. */
  stop(): Promise<void>;
}

/**
 * sfu/janus/janus-start.sh's settings for a test: both APIs and the SDP
 * address on the namespace's veth, ICE only on that interface (never
 * loopback, never anything else).
 */
function startEnv(dir: string, netns: TestNetns, opts: Required<JanusOptions>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    JANUS_CONFIG_DIR: dir,
    JANUS_ADMIN_KEY: opts.adminKey,
    JANUS_HTTP_IP: netns.innerIp,
    JANUS_HTTP_PORT: String(opts.httpPort),
    JANUS_WS_IP: netns.innerIp,
    JANUS_WS_PORT: String(opts.wsPort),
    JANUS_RTP_PORTS: opts.rtpPorts,
    // Without it Janus falls back to 127.0.0.1 in its SDP (there is no default route here).
    JANUS_INTERFACE: netns.innerIp,
    JANUS_ICE_ENFORCE: netns.innerIf,
  };
}

/** Starts Janus inside the namespace and waits until its HTTP API answers `info`. */
export async function startJanus(netns: TestNetns, options: JanusOptions = {}): Promise<JanusProcess> {
  const opts: Required<JanusOptions> = {
    httpPort: options.httpPort ?? 8088,
    wsPort: options.wsPort ?? 8188,
    rtpPorts: options.rtpPorts ?? '20000-20999',
    adminKey: options.adminKey ?? randomBytes(12).toString('hex'),
  };
  const dir = mkdtempSync(join(tmpdir(), 'pairly-janus-'));
  // The script execs Janus, so the child's pid is Janus's.
  const child = netns.spawn('/bin/sh', [START], { stdio: ['ignore', 'pipe', 'pipe'], env: startEnv(dir, netns, opts) });
  let log = '';
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-65_536);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  child.on('error', (err) => append(Buffer.from(`\nspawn error: ${err.message}\n`)));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT'); // in case a test left it stopped
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const apiUrl = `http://${netns.innerIp}:${opts.httpPort}/janus`;
  const janus: JanusProcess = {
    apiUrl,
    wsUrl: `ws://${netns.innerIp}:${opts.wsPort}`,
    adminKey: opts.adminKey,
    child,
    output: () => log,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    stop,
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`Janus exited (${child.exitCode ?? child.signalCode}) before answering:\n${log}`);
    }
    try {
      const res = await fetch(`${apiUrl}/info`, { signal: AbortSignal.timeout(1000) });
      if (res.ok && ((await res.json()) as { janus?: string }).janus === 'server_info') return janus;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Janus did not answer ${apiUrl}/info within 15 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

type Json = Record<string, unknown>;
interface JanusEvent {
  janus: string;
  transaction?: string;
  plugindata?: { data?: Json };
  jsep?: Json;
  error?: { code: number; reason: string };
}

/**
 * A participant speaking VideoRoom over Janus's HTTP API, as a browser's
 * janus.js would over WebSocket: one session, one handle, asynchronous
 * requests answered through the long-poll.
 */
export class JanusParticipant {
  private readonly events: JanusEvent[] = [];

  private constructor(
    private readonly apiUrl: string,
    private readonly session: number,
    private readonly handle: number,
  ) {}

  static async connect(apiUrl: string): Promise<JanusParticipant> {
    const s = await post(apiUrl, { janus: 'create' });
    const session = (s.data as { id: number }).id;
    const h = await post(`${apiUrl}/${session}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' });
    return new JanusParticipant(apiUrl, session, (h.data as { id: number }).id);
  }

  /** Sends a VideoRoom request; resolves with the plugin data of its reply, sync or async. */
  async request(body: Json, timeoutMs = 5000): Promise<Json> {
    const transaction = randomUUID();
    const reply = (await post(`${this.apiUrl}/${this.session}/${this.handle}`, { janus: 'message', body, transaction })) as unknown as JanusEvent;
    if (reply.janus === 'success') return reply.plugindata?.data ?? {};
    if (reply.janus !== 'ack') throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
    const event = await this.nextEvent((e) => e.transaction === transaction, timeoutMs);
    return event.plugindata?.data ?? {};
  }

  /** Waits for a pushed event (e.g. `destroyed`) on the long-poll. */
  async nextEvent(match: (e: JanusEvent) => boolean, timeoutMs = 5000): Promise<JanusEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex(match);
      if (i >= 0) return this.events.splice(i, 1)[0] as JanusEvent;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching Janus event within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`);
      const res = await fetch(`${this.apiUrl}/${this.session}?maxev=10&rid=${Date.now()}`, {
        signal: AbortSignal.timeout(Math.min(left, 30_000) + 500),
      }).catch(() => undefined);
      if (!res) continue;
      const got = (await res.json()) as JanusEvent | JanusEvent[];
      for (const e of Array.isArray(got) ? got : [got]) if (e.janus !== 'keepalive') this.events.push(e);
    }
  }

  async close(): Promise<void> {
    await post(`${this.apiUrl}/${this.session}`, { janus: 'destroy' }).catch(() => undefined);
  }
}

async function post(url: string, message: Json): Promise<Json> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ transaction: randomUUID(), ...message }),
    signal: AbortSignal.timeout(5000),
  });
  const reply = (await res.json()) as Json;
  if (reply.janus === 'error') throw new Error(`Janus error: ${JSON.stringify(reply.error)}`);
  return reply;
}
