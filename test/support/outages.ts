import { spawn, type ChildProcess } from 'node:child_process';
import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { freePort } from './pairly.js';

/*
 * Real dependencies a test can take away. The machine's PostgreSQL and Redis
 * are shared by every test process, so an outage is made privately: a
 * redis-server of the test's own, and a TCP proxy in front of PostgreSQL that
 * refuses and cuts connections for the one node pointed at it.
 */

export interface PrivateRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL: nothing is saved) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty, and waits until it answers. */
  start(): Promise<void>;
}

/** redis-server on a free port, no persistence. */
export async function startPrivateRedis(port = freePort()): Promise<PrivateRedis> {
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await answersPing(port))) {
      if (child.exitCode !== null) throw new Error(`redis-server on ${port} exited (${child.exitCode})`);
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    },
  };
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    let got = '';
    s.setTimeout(1000, () => s.destroy());
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      got += d;
      if (got.includes('\r\n')) s.end();
    });
    s.on('close', () => resolve(got.startsWith('+PONG')));
    s.on('error', () => undefined);
  });
}

export interface TcpProxy {
  port: number;
  /** Stops listening (new connections are refused) and cuts every open one. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** Forwards 127.0.0.1:port to target, until told to go down. */
export async function startTcpProxy(target: { host: string; port: number }, port = freePort()): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let server: Server | undefined;
  const up = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = tcpConnect(target.port, target.host);
        for (const s of [client, upstream]) {
          open.add(s);
          s.on('close', () => open.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const down = async () => {
    const s = server;
    server = undefined;
    const closed = s ? new Promise<void>((r) => s.close(() => r())) : Promise.resolve();
    for (const c of open) c.destroy();
    await closed;
  };
  await up();
  return { port, up, down, close: down };
}

/** A pino destination that keeps every line, parsed, for assertions on what was logged. */
export function logCapture(): { stream: Writable; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { stream, lines };
}
