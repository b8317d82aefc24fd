import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
const LIB = '/usr/lib/x86_64-linux-gnu/janus';
const PLUGINS_OFF = ['audiobridge', 'duktape', 'echotest', 'lua', 'nosip', 'recordplay', 'sip', 'streaming', 'textroom', 'videocall', 'voicemail'];
const TRANSPORTS_OFF = ['mqtt', 'nanomsg', 'pfunix', 'rabbitmq'];
const EVENTS_OFF = ['gelfevh', 'mqttevh', 'nanomsgevh', 'rabbitmqevh', 'sampleevh', 'wsevh'];
const LOGGERS_OFF = ['jsonlog'];

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

function jcfg(sections: Record<string, Record<string, string | number | boolean>>): string {
  return Object.entries(sections)
    .map(([section, values]) => {
      const lines = Object.entries(values).map(([k, v]) => `\t${k} = ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
      return `${section}: {\n${lines.join('\n')}\n}\n`;
    })
    .join('');
}

function writeConfig(dir: string, netns: TestNetns, opts: Required<JanusOptions>): void {
  const off = (names: string[]) => names.map((n) => `libjanus_${n}.so`).join(',');
  writeFileSync(
    join(dir, 'janus.jcfg'),
    jcfg({
      general: {
        configs_folder: dir,
        plugins_folder: `${LIB}/plugins`,
        transports_folder: `${LIB}/transports`,
        events_folder: `${LIB}/events`,
        loggers_folder: `${LIB}/loggers`,
        debug_level: 4,
        // The address put in SDP; without it Janus falls back to 127.0.0.1 (there is no default route here).
        interface: netns.innerIp,
      },
      media: { rtp_port_range: opts.rtpPorts },
      // Only the veth: never loopback, never anything else.
      nat: { nice_debug: false, ice_enforce_list: netns.innerIf },
      plugins: { disable: off(PLUGINS_OFF) },
      transports: { disable: off(TRANSPORTS_OFF) },
      events: { broadcast: false, disable: off(EVENTS_OFF) },
      loggers: { disable: off(LOGGERS_OFF) },
    }),
  );
  writeFileSync(
    join(dir, 'janus.transport.http.jcfg'),
    jcfg({
      general: { json: 'compact', base_path: '/janus', http: true, port: opts.httpPort, ip: netns.innerIp, https: false },
      admin: { admin_http: false },
    }),
  );
  writeFileSync(
    join(dir, 'janus.transport.websockets.jcfg'),
    jcfg({
      general: { json: 'compact', ws: true, ws_port: opts.wsPort, ws_ip: netns.innerIp, wss: false },
      admin: { admin_ws: false },
    }),
  );
  writeFileSync(join(dir, 'janus.plugin.videoroom.jcfg'), jcfg({ general: { admin_key: opts.adminKey, lock_rooms: true } }));
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
  writeConfig(dir, netns, opts);
  const child = netns.spawn(JANUS, ['-C', join(dir, 'janus.jcfg'), '-F', dir, '-o'], { stdio: ['ignore', 'pipe', 'pipe'] });
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
