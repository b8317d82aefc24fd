import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { serveParent, type FromBare } from '../../lib/ipc.js';
import { localProbe } from '../../lib/probe.js';
import { installChatRelay } from './relay.js';

/**
 * One node of the chat baseline (see relay.ts) in its own process:
 * `node --import tsx test/load/scenarios/chat/bare-relay.ts [--redis-url U --prefix P]`,
 * started by the chat bench (children.ts) with an IPC channel. With --redis-url, nodes are
 * joined by the same sharded Redis adapter Pairly uses (SPUBLISH/SSUBSCRIBE,
 * channel prefix `<prefix>sio`), so the two-node baseline pays the same
 * adapter cost per push and nothing else. Listens on 127.0.0.1 only.
 */

if (!process.send) {
  console.error('bare-relay.ts is started by test/load/scenarios/chat/bench.ts with an IPC channel');
  process.exit(2);
}
const send = (m: FromBare) => process.send!(m);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'redis-url': { type: 'string' }, prefix: { type: 'string', default: 'chat-bare:' } } });
  const probe = localProbe();
  const http = createServer();
  let redis: { pub: Redis; sub: Redis } | undefined;
  if (values['redis-url']) {
    const url = new URL(values['redis-url']);
    if (!url.hostname.startsWith('127.') && url.hostname !== 'localhost') throw new Error(`refusing Redis at ${url.host}`);
    redis = { pub: new Redis(values['redis-url']), sub: new Redis(values['redis-url']) };
    await Promise.all([redis.pub.ping(), redis.sub.ping()]);
  }
  // Same path, payload limit and heartbeat as Pairly; nothing else configured.
  const io = new Server(http, {
    path: '/socket.io',
    maxHttpBufferSize: 64_000,
    pingInterval: 20_000,
    pingTimeout: 20_000,
    ...(redis ? { adapter: createShardedAdapter(redis.pub, redis.sub, { channelPrefix: `${values.prefix}sio` }) } : {}),
  });
  installChatRelay(io);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    probe.stop();
    setTimeout(() => process.exit(0), 3000).unref();
    io.close(() => {
      void Promise.all([redis?.pub.quit(), redis?.sub.quit()].map((p) => p?.catch(() => undefined))).finally(() => process.exit(0));
    });
  };
  serveParent((http.address() as AddressInfo).port, probe, stop);
}

main().catch((err: unknown) => {
  send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
