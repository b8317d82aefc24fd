import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { freePort } from './pairly.js';

/*
 * Real dependencies a test can take away. The machine's PostgreSQL and Redis
 * are shared by every test process, so an outage is made privately: a
 * redis-server of the test's own, and a TCP proxy in front of PostgreSQL that
 * refuses and cuts connections for the one node pointed at it.
 */

export { startPrivateRedis, type PrivateRedis } from './private-redis.js';

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
