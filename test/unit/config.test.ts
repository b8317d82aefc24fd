import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/src/config.js';

describe('loadConfig', () => {
  it('defaults to embedded mode with documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      mode: 'embedded',
      port: 3000,
      databaseUrl: undefined,
      redisUrl: undefined,
      redisPrefix: 'pairly:',
      logLevel: 'info',
      accessTokenTtlSeconds: 900,
      publicUrl: 'http://localhost:3000',
      corsOrigins: ['http://localhost:3000'],
      runWorkers: true,
    });
    expect(c.dataDir).toMatch(/\/data$/);
  });

  it('is cluster mode with both URLs, and then needs JWT_SECRET', () => {
    const env = { DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r:6379' };
    expect(() => loadConfig(env)).toThrow(/JWT_SECRET/);
    const c = loadConfig({ ...env, JWT_SECRET: 'x'.repeat(32) });
    expect(c.mode).toBe('cluster');
    expect(c.runWorkers).toBe(false);
    expect(loadConfig({ ...env, JWT_SECRET: 'x'.repeat(32), RUN_WORKERS: 'true' }).runWorkers).toBe(true);
  });

  it('refuses DATABASE_URL without REDIS_URL unless one node is meant', () => {
    const env = { DATABASE_URL: 'postgres://db/x', JWT_SECRET: 'x'.repeat(32) };
    expect(() => loadConfig(env)).toThrow(/REDIS_URL: required with DATABASE_URL.*ALLOW_SINGLE_NODE_POSTGRES=1/);
    expect(() => loadConfig({ ...env, REDIS_URL: '' })).toThrow(ConfigError);
    const c = loadConfig({ ...env, ALLOW_SINGLE_NODE_POSTGRES: '1' });
    expect(c.mode).toBe('embedded');
    expect(c.databaseUrl).toBe('postgres://db/x');
    expect(c.redisUrl).toBeUndefined();
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ PORT: '99999', LOG_LEVEL: 'loud', JWT_SECRET: 'short', REDIS_PREFIX: 'has space' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      for (const v of ['PORT', 'LOG_LEVEL', 'JWT_SECRET', 'REDIS_PREFIX']) expect(problems).toContain(v);
    }
  });

  it('treats empty strings as unset and splits CORS_ORIGINS', () => {
    const c = loadConfig({ DATABASE_URL: '', CORS_ORIGINS: 'https://a.test, https://b.test', PUBLIC_URL: 'https://pairly.test' });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.corsOrigins).toEqual(['https://a.test', 'https://b.test']);
    expect(c.publicUrl).toBe('https://pairly.test');
  });
});
