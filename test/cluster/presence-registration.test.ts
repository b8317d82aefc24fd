import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { connect, newUser } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { TEST_REDIS_URL } from '../support/services.js';
import { createLogger } from '../../server/src/logger.js';

/**
 * A running node stays in the set of nodes its peers watch (presence:nodes)
 * at every moment, not only from its next heartbeat on: a node missing from
 * it is never seen to stop, so a node paused or killed in that gap keeps its
 * users online forever. The heartbeat here is far longer than the test, so
 * only start-up and a rebuild can have put the node there.
 */
let backing: Backing;
let node: InProcessNode;
let redis: Redis;
const lines: string[] = [];

beforeAll(async () => {
  backing = await createBacking();
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const env = { ...backing.env, NODE_ID: 'registered', PRESENCE_TTL_SECONDS: '600', PRESENCE_HEARTBEAT_MS: '599000' };
  node = await startInProcess(env, createLogger({ level: 'warn', nodeId: 'registered' }, sink));
  redis = new Redis(TEST_REDIS_URL);
}, 60_000);
afterAll(async () => {
  redis?.disconnect();
  await node?.stop();
  await backing?.cleanup();
});

const nodes = () => redis.smembers(`${backing.redisPrefix}presence:nodes`);

describe("a node's registration for its peers", () => {
  it('is there once the node has started, and starting logs no rebuild', async () => {
    expect(await nodes()).toContain('registered');
    expect(lines.filter((l) => l.includes('written back'))).toEqual([]);
  });

  it('survives a rebuild of its entries, with its live sockets counted under it', async () => {
    const u = await newUser(node.url);
    const s = await connect(node.url, u.accessToken);
    await node.pairly.services.presence.rebuild('reconnected');
    expect(await nodes()).toContain('registered');
    expect(await redis.hexists(`${backing.redisPrefix}presence:beats`, 'registered')).toBe(1);
    expect(await redis.scard(`${backing.redisPrefix}presence:node:registered`)).toBe(1);
    s.close();
  });
});
