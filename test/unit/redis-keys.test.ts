import { describe, expect, it } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { clusterNodes, hashTag, keySlot, slotPrefix } from '../../server/src/redis.js';

describe('Redis Cluster keys', () => {
  it('keySlot is Redis Cluster\'s hash slot: CRC16 (XMODEM) mod 16384, of the hash tag when there is one', () => {
    // Values from the Redis Cluster specification and CLUSTER KEYSLOT.
    expect(keySlot('123456789')).toBe(0x31c3 % 16384);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    // An empty tag is no tag; only the first braces count.
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
  });

  it('tags only on a Cluster client: a single Redis keeps the key names nodes of the previous version use', () => {
    const single = new Redis({ lazyConnect: true });
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    expect(slotPrefix(single, 'pairly:', 'presence')).toBe('pairly:presence:');
    expect(slotPrefix(cluster, 'pairly:', 'presence')).toBe('pairly:{presence}:');
    expect(hashTag(cluster, 'u1:text')).toBe('{u1:text}');
    expect(keySlot(`${slotPrefix(cluster, 't1:', 'mq')}u:a`)).toBe(keySlot(`${slotPrefix(cluster, 't1:', 'mq')}wait:text`));
  });

  it('reads the seed nodes of a redis+cluster:// URL', () => {
    expect(clusterNodes('redis+cluster://10.0.0.1:7001,redis-b:7002')).toEqual([{ host: '10.0.0.1', port: 7001 }, { host: 'redis-b', port: 7002 }]);
    expect(clusterNodes('redis://127.0.0.1:6379')).toBeUndefined();
  });
});
