import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { startNodeProcess } from '../../../support/pairly.js';
import { createRedisPrefix, TEST_REDIS_URL } from '../../../support/services.js';
import type { Cleanups } from '../../lib/cleanups.js';
import { BENCH_SERVER_ENV, benchData } from '../../lib/server-env.js';
import { startRelay } from '../chat/children.js';
import { PidSampler, scrapeNode } from '../chat/probe.js';
import type { HolderAuth } from './protocol.js';

/**
 * What the connections bench measures, one at a time: the bare socket.io
 * relay of the chat bench (its own process, joined to Redis by the same
 * sharded adapter Pairly uses, nothing else) and one cluster-mode Pairly
 * node process (PostgreSQL + Redis). Both are dropped the same way: a
 * `disconnectSockets(true)` sent through their adapter's Redis channel, as
 * an operator's tool on another node would.
 */
export interface ConnTarget {
  name: string;
  url: string;
  sampler: PidSampler;
  auth: HolderAuth;
  /** Every socket of the target, disconnected by the server (through Redis). */
  dropAll(): Promise<void>;
  stop(): Promise<void>;
}

/** A socket.io server with no HTTP listener, on the target's adapter channel: it can only broadcast. */
async function dropper(channelPrefix: string): Promise<{ dropAll(): Promise<void>; close(): Promise<void> }> {
  const pub = new Redis(TEST_REDIS_URL);
  const sub = new Redis(TEST_REDIS_URL);
  await Promise.all([pub.ping(), sub.ping()]);
  const io = new Server({ adapter: createShardedAdapter(pub, sub, { channelPrefix }) });
  // The sharded adapter subscribes when the namespace is created; give the subscription a moment to be active.
  await new Promise((r) => setTimeout(r, 300));
  return {
    dropAll: async () => io.disconnectSockets(true),
    async close() {
      // No HTTP server (and so no engine) to close: only the adapter's subscriptions.
      await io.of('/').adapter.close();
      await Promise.all([pub.quit(), sub.quit()].map((p) => p.catch(() => undefined)));
    },
  };
}

export async function startBare(cleanups: Cleanups): Promise<ConnTarget> {
  const prefix = createRedisPrefix();
  cleanups.add(() => prefix.cleanup());
  const relay = await startRelay({ url: TEST_REDIS_URL, prefix: prefix.prefix });
  const d = await dropper(`${prefix.prefix}sio`);
  return {
    name: 'bare socket.io',
    url: relay.url,
    sampler: relay.sampler,
    auth: { kind: 'bare' },
    dropAll: d.dropAll,
    stop: once(async () => {
      await d.close();
      await relay.stop();
    }),
  };
}

export const CONNECTIONS_BENCH_ENV: Record<string, string> = {
  ...BENCH_SERVER_ENV,
  ACCESS_TOKEN_TTL_SECONDS: '3600',
  LOG_LEVEL: 'warn',
};

export async function startPairly(cleanups: Cleanups, extraEnv: Record<string, string>, log: (m: string) => void): Promise<ConnTarget> {
  const data = await benchData('cluster', cleanups, 'pairly-connections-bench');
  log(data.description);
  const env = { ...data.env, ...CONNECTIONS_BENCH_ENV, ...extraEnv };
  const node = await startNodeProcess(env);
  const sampler = new PidSampler(node.child.pid!, () => scrapeNode(node.url));
  const d = await dropper(`${data.redisPrefix}sio`);
  log(`Pairly node ${node.url} (pid ${node.child.pid})`);
  return {
    name: 'pairly cluster node',
    url: node.url,
    sampler,
    auth: { kind: 'jwt', jwtSecret: env.JWT_SECRET!, ttlSeconds: Number(env.ACCESS_TOKEN_TTL_SECONDS) },
    dropAll: d.dropAll,
    stop: once(async () => {
      sampler.stop();
      await d.close();
      const out = node.output().trim();
      if (out) log(`Pairly node output:\n${out.split('\n').slice(-15).join('\n')}`);
      await node.stop();
    }),
  };
}

/** The bench stops a target when done with it, and the clean-up again on a failure. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}
