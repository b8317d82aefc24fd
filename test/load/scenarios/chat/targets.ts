import { startInProcess, startNodeProcess, type InProcessNode, type NodeProcess } from '../../../support/pairly.js';
import { fund } from '../../../support/ledger.js';
import { createRedisPrefix, TEST_REDIS_URL } from '../../../support/services.js';
import type { Cleanups } from '../../lib/cleanups.js';
import type { ProgressPrinter } from '../../lib/progress.js';
import { BENCH_SERVER_ENV, benchData } from '../../lib/server-env.js';
import { pool } from '../../lib/sessions.js';
import type { RedisCluster } from '../../../support/redis-cluster.js';
import { startRelay } from './children.js';
import { PidSampler, scrapeNode } from './probe.js';

/** What the chat bench measures: the bare relay and Pairly, one node or two joined by Redis. */

/**
 * Pairly's settings for the bench; everything else is its default. The chat
 * limits (30 messages per 10 s per user, 10 per 5 s per conversation) and
 * the 20 events/s per socket would otherwise be what is measured.
 */
export const CHAT_BENCH_ENV = {
  ...BENCH_SERVER_ENV,
  SOCKET_EVENTS_PER_SECOND: '10000',
  CHAT_MESSAGES_PER_10S: '1000000',
  CHAT_FLOOD_PER_5S: '1000000',
  // Users are signed up once and reused by every round.
  ACCESS_TOKEN_TTL_SECONDS: '3600',
};

const FAN_CREDITS = 1_000_000;

export interface NodeHandle {
  url: string;
  sampler: PidSampler;
}

export interface Target {
  name: string;
  urls: string[];
  auth: boolean;
  nodes: NodeHandle[];
  /** Pairly's database in cluster mode: its backends count as the target's PostgreSQL CPU. */
  database?: string;
  databaseUrl?: string;
}

export interface ChatTargets {
  /** The bare relay first (when asked for), then Pairly. */
  targets: Target[];
  /** Funds Pairly's fans (--priced): a ledger transfer each, through a node in this process. */
  fund(userIds: string[]): Promise<void>;
  /** The last lines each node process printed (two-node runs, LOG_LEVEL=warn). */
  nodeOutput(): string[];
}

export async function startTargets(o: {
  nodes: number;
  mode: 'cluster' | 'embedded';
  baseline: 'bare' | 'none';
  extraEnv: Record<string, string>;
  /** Two nodes only: also two nodes on this Redis Cluster (same database), measured after the single-Redis pair. */
  redisCluster?: RedisCluster;
  cleanups: Cleanups;
  printer: ProgressPrinter;
}): Promise<ChatTargets> {
  const { cleanups, printer } = o;
  const targets: Target[] = [];
  const nodeLogs: Array<() => string> = [];
  const nodeOutput = () => nodeLogs.map((l) => l()).filter((l) => !l.endsWith(': '));
  const fundOn = async (node: InProcessNode, userIds: string[]) => {
    await pool(userIds.length, 8, (i) => fund(node.pairly, userIds[i]!, FAN_CREDITS));
  };

  // The bare relay: one process, or two joined by the sharded Redis adapter.
  if (o.baseline === 'bare') {
    const prefix = o.nodes === 2 ? createRedisPrefix() : undefined;
    if (prefix) cleanups.add(() => prefix.cleanup());
    const relays = [];
    for (let n = 0; n < o.nodes; n++) {
      const relay = await startRelay(prefix && { url: TEST_REDIS_URL, prefix: prefix.prefix });
      cleanups.add(() => relay.stop());
      relays.push(relay);
    }
    targets.push({ name: o.nodes === 2 ? 'bare relay ×2' : 'bare relay', urls: relays.map((r) => r.url), auth: false, nodes: relays });
    printer.log(`bare relay: ${relays.map((r) => r.url).join(', ')}${prefix ? ` (sharded Redis adapter, prefix ${prefix.prefix})` : ''}`);
  }

  let fundFans: (userIds: string[]) => Promise<void>;
  if (o.nodes === 1) {
    const data = await benchData(o.mode, cleanups, 'pairly-chat-bench');
    printer.log(data.description);
    const env: Record<string, string> = { ...data.env, ...CHAT_BENCH_ENV, LOG_LEVEL: 'silent', ...o.extraEnv };
    const node = await startInProcess(env);
    cleanups.add(() => node.stop());
    // This process's own /metrics: the same heap figure as the other nodes', and its GC pauses.
    const sampler = new PidSampler(process.pid, () => scrapeNode(node.url));
    cleanups.add(() => sampler.stop());
    fundFans = (ids) => fundOn(node, ids);
    targets.push({
      name: `pairly ${o.mode}`,
      urls: [node.url],
      auth: true,
      nodes: [{ url: node.url, sampler }],
      ...(data.database ? { database: data.database, databaseUrl: data.databaseUrl } : {}),
    });
    printer.log(`Pairly on ${node.url} (this process)`);
  } else {
    const data = await benchData('cluster', cleanups, 'pairly-chat-bench');
    const env = { ...data.env, ...CHAT_BENCH_ENV, LOG_LEVEL: 'warn', ...o.extraEnv };
    const procs: NodeProcess[] = [];
    for (let n = 0; n < 2; n++) {
      const p = await startNodeProcess(env);
      cleanups.add(async () => void (await p.stop()));
      procs.push(p);
      nodeLogs.push(() => `${p.url}: ${p.output().trim().split('\n').slice(-20).join('\n')}`);
    }
    const handles = procs.map((p) => {
      const sampler = new PidSampler(p.child.pid!, () => scrapeNode(p.url));
      cleanups.add(() => sampler.stop());
      return { url: p.url, sampler };
    });
    // The nodes are separate processes: a short-lived in-process node on the same backing holds the ledger for funding.
    fundFans = async (ids) => {
      const node = await startInProcess({ ...env, LOG_LEVEL: 'silent' });
      try {
        await fundOn(node, ids);
      } finally {
        await node.stop();
      }
    };
    targets.push({ name: 'pairly ×2', urls: procs.map((p) => p.url), auth: true, nodes: handles, database: data.database!, databaseUrl: data.databaseUrl! });
    printer.log(
      `Pairly: two node processes ${procs.map((p) => `${p.url} (pid ${p.child.pid})`).join(', ')}, database ` +
        `${data.database}, Redis prefix ${data.redisPrefix}`,
    );
    if (o.redisCluster) {
      // The same database and users; only Redis differs: the cluster's masters instead of the one Redis.
      const clusterEnv = { ...env, REDIS_URL: '', REDIS_CLUSTER_NODES: o.redisCluster.nodes };
      const onCluster: NodeProcess[] = [];
      for (let n = 0; n < 2; n++) {
        const p = await startNodeProcess(clusterEnv);
        cleanups.add(async () => void (await p.stop()));
        onCluster.push(p);
        nodeLogs.push(() => `${p.url}: ${p.output().trim().split('\n').slice(-20).join('\n')}`);
      }
      const clusterHandles = onCluster.map((p) => {
        const sampler = new PidSampler(p.child.pid!, () => scrapeNode(p.url));
        cleanups.add(() => sampler.stop());
        return { url: p.url, sampler };
      });
      targets.push({ name: 'pairly ×2 redis-cluster', urls: onCluster.map((p) => p.url), auth: true, nodes: clusterHandles, database: data.database!, databaseUrl: data.databaseUrl! });
      printer.log(`Pairly on the Redis Cluster (${o.redisCluster.nodes}): two node processes ${onCluster.map((p) => `${p.url} (pid ${p.child.pid})`).join(', ')}`);
    }
  }
  printer.log(
    `Pairly limits raised for the bench: SOCKET_EVENTS_PER_SECOND=10000 (default 20), CHAT_MESSAGES_PER_10S and ` +
      `CHAT_FLOOD_PER_5S=1000000 (defaults 30 and 10; the limiters still run on every message), SIGNUP_MAX_PER_IP and ` +
      `HTTP_MAX_REQUESTS_PER_IP (every user signs up from 127.0.0.1); ARGON2_MEMORY_KIB=1024 for the sign-ups` +
      (Object.keys(o.extraEnv).length ? `; --env ${Object.entries(o.extraEnv).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''),
  );
  return { targets, fund: fundFans, nodeOutput };
}
