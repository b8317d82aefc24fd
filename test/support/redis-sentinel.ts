import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './pairly.js';
import { redisCommand as command, spawnRedisServer, until, type RedisServerProcess } from './redis-server.js';

/**
 * Redis behind Sentinel, from Debian's redis-server: a master, one replica, and one sentinel
 * (`redis-server <conf> --sentinel`, which is what Debian's redis-sentinel runs) with a quorum of
 * one and a 1-second down-after, so a killed master's replica is promoted within seconds.
 * No persistence; processes killed by PID.
 */
export interface RedisSentinel {
  /** REDIS_SENTINELS. */
  sentinels: string;
  name: string;
  masterPort: number;
  replicaPort: number;
  /** The master's port as the sentinel names it now. */
  currentMaster(): Promise<number>;
  /** SIGKILL one of the redis-servers (by port) and wait for its exit. */
  kill(port: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisSentinel(ports: { master: number; replica: number; sentinel: number } = { master: 7111, replica: 7112, sentinel: 7113 }): Promise<RedisSentinel> {
  const dir = tempDir('pairly-redis-sentinel');
  const name = 'pairly';
  const servers = new Map<number, RedisServerProcess>();
  const spawnRedis = async (port: number, args: string[]) => {
    const server = await spawnRedisServer(port, args);
    servers.set(port, server);
    return server;
  };
  const kill = async (port: number) => servers.get(port)?.kill();
  const stopAll = async () => {
    await Promise.all([...servers.values()].map((s) => s.kill()));
    dir.remove();
  };
  // --dir: a replica's full sync writes the master's snapshot to its dir (save '' or not), never the checkout.
  const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir.path];
  try {
    const pair = await Promise.all([
      spawnRedis(ports.master, ['--port', String(ports.master), ...common]),
      spawnRedis(ports.replica, ['--port', String(ports.replica), ...common, '--replicaof', '127.0.0.1', String(ports.master)]),
    ]);
    await until(async () => String(await command(ports.replica, 'info', 'replication')).includes('master_link_status:up'), 20_000, () => `the replica to sync:\n${pair.map((o) => o.output()).join('\n')}`);
    const conf = join(dir.path, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${ports.sentinel}`,
        'bind 127.0.0.1',
        `dir ${dir.path}`,
        `sentinel monitor ${name} 127.0.0.1 ${ports.master} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        '',
      ].join('\n'),
    );
    const sentinel = await spawnRedis(ports.sentinel, [conf, '--sentinel']);
    // The sentinel knows the replica (learnt from the master's INFO) before a failover can promote it.
    await until(async () => {
      const replicas = (await command(ports.sentinel, 'sentinel', 'replicas', name).catch(() => [])) as unknown[];
      return Array.isArray(replicas) && replicas.length === 1;
    }, 30_000, () => `the sentinel to see the replica:\n${sentinel.output()}`);
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    sentinels: `127.0.0.1:${ports.sentinel}`,
    name,
    masterPort: ports.master,
    replicaPort: ports.replica,
    async currentMaster() {
      const [, port] = (await command(ports.sentinel, 'sentinel', 'get-master-addr-by-name', name)) as [string, string];
      return Number(port);
    },
    kill,
    stop: stopAll,
  };
}
