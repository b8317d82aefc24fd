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

  it('REDIS_CLUSTER_NODES or a redis+cluster:// REDIS_URL selects a Redis Cluster (cluster mode); not both; a bad node list refused', () => {
    const base = { DATABASE_URL: 'postgres://db/x', JWT_SECRET: 'x'.repeat(32) };
    const nodes = loadConfig({ ...base, REDIS_CLUSTER_NODES: 'r1:7001,r2:7002' });
    expect(nodes).toMatchObject({ mode: 'cluster', redisUrl: 'redis+cluster://r1:7001,r2:7002' });
    expect(loadConfig({ ...base, REDIS_URL: 'redis+cluster://10.0.0.1:7001' }).redisUrl).toBe('redis+cluster://10.0.0.1:7001');
    expect(() => loadConfig({ ...base, REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'r1:7001' })).toThrow(/REDIS_CLUSTER_NODES: set one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS/);
    expect(() => loadConfig({ ...base, REDIS_CLUSTER_NODES: 'r1' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(() => loadConfig({ ...base, REDIS_URL: 'redis+cluster://r1:7001,,r2:1' })).toThrow(/REDIS_URL/);
  });

  it('REDIS_SENTINELS (with REDIS_SENTINEL_NAME, default mymaster) selects Redis behind Sentinel', () => {
    const base = { DATABASE_URL: 'postgres://db/x', JWT_SECRET: 'x'.repeat(32) };
    expect(loadConfig({ ...base, REDIS_SENTINELS: 's1:26379,s2:26379' })).toMatchObject({ mode: 'cluster', redisUrl: 'redis+sentinel://s1:26379,s2:26379/mymaster' });
    expect(loadConfig({ ...base, REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'pairly' }).redisUrl).toBe('redis+sentinel://s1:26379/pairly');
    expect(() => loadConfig({ ...base, REDIS_SENTINELS: 's1:26379', REDIS_CLUSTER_NODES: 'r1:7001' })).toThrow(/not REDIS_CLUSTER_NODES and REDIS_SENTINELS/);
  });

  it('mail: the local outbox in the data dir unless SMTP_URL (smtp or smtps) is set; account links last 48 h and 1 h by default', () => {
    const c = loadConfig({ PAIRLY_DATA_DIR: '/srv/pairly' });
    expect(c.mail).toEqual({ smtpUrl: undefined, from: 'Pairly <no-reply@pairly.local>', outboxDir: '/srv/pairly/outbox' });
    expect(c.accountLinks).toEqual({ emailTtlSeconds: 172_800, resetTtlSeconds: 3600 });
    const smtp = loadConfig({ SMTP_URL: 'smtps://u:p@mail.example:465', MAIL_FROM: 'Pairly <hi@example.com>', EMAIL_LINK_TTL_SECONDS: '60', PASSWORD_RESET_TTL_SECONDS: '30' });
    expect(smtp.mail).toMatchObject({ smtpUrl: 'smtps://u:p@mail.example:465', from: 'Pairly <hi@example.com>' });
    expect(smtp.accountLinks).toEqual({ emailTtlSeconds: 60, resetTtlSeconds: 30 });
    expect(() => loadConfig({ SMTP_URL: 'http://mail.example' })).toThrow(/SMTP_URL/);
    expect(() => loadConfig({ PASSWORD_RESET_TTL_SECONDS: '0' })).toThrow(/PASSWORD_RESET_TTL_SECONDS/);
  });

  it('OIDC_*: a provider is offered only with both its client id and secret, at its default or given issuer', () => {
    expect(loadConfig({}).oidc).toEqual([]);
    expect(loadConfig({ OIDC_GOOGLE_CLIENT_ID: 'id' }).oidc).toEqual([]);
    expect(loadConfig({ OIDC_GOOGLE_CLIENT_ID: 'id', OIDC_GOOGLE_CLIENT_SECRET: 's', OIDC_APPLE_CLIENT_SECRET: 'only-secret' }).oidc).toEqual([
      { name: 'google', issuer: 'https://accounts.google.com', clientId: 'id', clientSecret: 's' },
    ]);
    const apple = loadConfig({ OIDC_APPLE_ISSUER: 'https://idp.example/', OIDC_APPLE_CLIENT_ID: 'a', OIDC_APPLE_CLIENT_SECRET: 'b' }).oidc;
    expect(apple).toEqual([{ name: 'apple', issuer: 'https://idp.example/', clientId: 'a', clientSecret: 'b' }]);
    expect(() => loadConfig({ OIDC_GOOGLE_ISSUER: 'not a url' })).toThrow(ConfigError);
  });

  it('caches the database-derived metrics METRICS_DB_CACHE_SECONDS per node (15 by default, 1 to 300)', () => {
    expect(loadConfig({}).metricsDbCacheSeconds).toBe(15);
    expect(loadConfig({ METRICS_DB_CACHE_SECONDS: '1' }).metricsDbCacheSeconds).toBe(1);
    expect(() => loadConfig({ METRICS_DB_CACHE_SECONDS: '0' })).toThrow(/METRICS_DB_CACHE_SECONDS/);
    expect(() => loadConfig({ METRICS_DB_CACHE_SECONDS: '301' })).toThrow(/METRICS_DB_CACHE_SECONDS/);
  });

  it('tells fans CREATOR_EXPIRY_NOTICE_HOURS before a subscription ends without renewing (72 by default, 0: never)', () => {
    expect(loadConfig({}).creators.expiryNoticeHours).toBe(72);
    expect(loadConfig({ CREATOR_EXPIRY_NOTICE_HOURS: '0' }).creators.expiryNoticeHours).toBe(0);
    expect(() => loadConfig({ CREATOR_EXPIRY_NOTICE_HOURS: '-1' })).toThrow(/CREATOR_EXPIRY_NOTICE_HOURS/);
    expect(() => loadConfig({ CREATOR_EXPIRY_NOTICE_HOURS: '1.5' })).toThrow(/CREATOR_EXPIRY_NOTICE_HOURS/);
  });

  it('gates paid content on verification only when CREATOR_PAID_CONTENT_REQUIRES_VERIFICATION says so', () => {
    expect(loadConfig({}).verification.paidContentRequiresVerification).toBe(false);
    expect(loadConfig({ CREATOR_PAID_CONTENT_REQUIRES_VERIFICATION: 'true' }).verification.paidContentRequiresVerification).toBe(true);
    expect(loadConfig({ CREATOR_PAID_CONTENT_REQUIRES_VERIFICATION: '0' }).verification.paidContentRequiresVerification).toBe(false);
    expect(() => loadConfig({ CREATOR_PAID_CONTENT_REQUIRES_VERIFICATION: 'yes' })).toThrow(/CREATOR_PAID_CONTENT_REQUIRES_VERIFICATION/);
  });

  it('MODERATION_*: thresholds in (0, 1], the review band not above the block threshold, a repeat limit of at least 2', () => {
    expect(loadConfig({}).moderation).toEqual({ nudityBlock: 0.7, nudityReview: 0.4, sexyReview: 0.85, repeat: { limit: 5, windowSeconds: 600 } });
    expect(loadConfig({ MODERATION_NUDITY_BLOCK: '0.9', MODERATION_NUDITY_REVIEW: '0.9', MODERATION_REPEAT_LIMIT: '20' }).moderation).toMatchObject({ nudityBlock: 0.9, nudityReview: 0.9, repeat: { limit: 20 } });
    expect(() => loadConfig({ MODERATION_NUDITY_BLOCK: '1.5' })).toThrow(/MODERATION_NUDITY_BLOCK/);
    expect(() => loadConfig({ MODERATION_NUDITY_BLOCK: '0' })).toThrow(/MODERATION_NUDITY_BLOCK/);
    expect(() => loadConfig({ MODERATION_NUDITY_BLOCK: '0.5', MODERATION_NUDITY_REVIEW: '0.6' })).toThrow(/MODERATION_NUDITY_REVIEW/);
    expect(() => loadConfig({ MODERATION_REPEAT_LIMIT: '1' })).toThrow(/MODERATION_REPEAT_LIMIT/);
  });

  it('MASS_MESSAGE_*: batches of 500 at most 2000 fans a second by default, 0 = no cap; a zero batch or a negative rate refused', () => {
    expect(loadConfig({}).massMessages).toEqual({ batch: 500, perSecond: 2000, sweepSeconds: 60 });
    expect(loadConfig({ MASS_MESSAGE_BATCH: '1000', MASS_MESSAGE_PER_SECOND: '0', MASS_MESSAGE_SWEEP_SECONDS: '30' }).massMessages).toEqual({ batch: 1000, perSecond: 0, sweepSeconds: 30 });
    expect(() => loadConfig({ MASS_MESSAGE_BATCH: '0' })).toThrow(/MASS_MESSAGE_BATCH/);
    expect(() => loadConfig({ MASS_MESSAGE_PER_SECOND: '-1' })).toThrow(/MASS_MESSAGE_PER_SECOND/);
    expect(() => loadConfig({ MASS_MESSAGE_SWEEP_SECONDS: '1' })).toThrow(/MASS_MESSAGE_SWEEP_SECONDS/);
  });

  it('REPORTS_PER_HOUR: 30 reports a user an hour by default; zero refused', () => {
    expect(loadConfig({}).reports).toEqual({ perHour: 30 });
    expect(loadConfig({ REPORTS_PER_HOUR: '5' }).reports).toEqual({ perHour: 5 });
    expect(() => loadConfig({ REPORTS_PER_HOUR: '0' })).toThrow(/REPORTS_PER_HOUR/);
  });

  it('NOTIFY_* and VAPID_*: an hour of collapsing, 200 kept, a digest every 15 min after 30 min away; a VAPID pair both or neither', () => {
    expect(loadConfig({}).notifications).toEqual({
      collapseSeconds: 3600,
      keep: 200,
      digestEverySeconds: 900,
      digestAfterSeconds: 1800,
      vapid: undefined,
      vapidSubject: 'mailto:admin@pairly.local',
      pushHttpEndpoints: false,
    });
    const pair = { VAPID_PUBLIC_KEY: `B${'a'.repeat(86)}`, VAPID_PRIVATE_KEY: 'k'.repeat(43) };
    expect(loadConfig(pair).notifications.vapid).toEqual({ publicKey: pair.VAPID_PUBLIC_KEY, privateKey: pair.VAPID_PRIVATE_KEY });
    expect(() => loadConfig({ VAPID_PUBLIC_KEY: pair.VAPID_PUBLIC_KEY })).toThrow(/VAPID_PUBLIC_KEY: set together with VAPID_PRIVATE_KEY/);
    expect(() => loadConfig({ ...pair, VAPID_PRIVATE_KEY: 'not base64url!' })).toThrow(/VAPID_PRIVATE_KEY/);
    expect(() => loadConfig({ VAPID_SUBJECT: 'admin@pairly.local' })).toThrow(/VAPID_SUBJECT/);
    expect(() => loadConfig({ NOTIFY_KEEP: '0' })).toThrow(/NOTIFY_KEEP/);
    expect(loadConfig({ NOTIFY_PUSH_HTTP_ENDPOINTS: 'true' }).notifications.pushHttpEndpoints).toBe(true);
  });

  it('DATABASE_REPLICA_URLS: a comma list of URLs beside DATABASE_URL; read-your-writes 5 s, lag limit 30 s, a check a second by default', () => {
    expect(loadConfig({}).databaseReplicas).toEqual({ urls: [], readYourWritesMs: 5000, maxLagMs: 30_000, checkMs: 1000 });
    const cluster = { DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r:6379', JWT_SECRET: 'x'.repeat(32) };
    const c = loadConfig({ ...cluster, DATABASE_REPLICA_URLS: 'postgres://r1/x, postgres://r2/x', DATABASE_READ_YOUR_WRITES_MS: '0', DATABASE_REPLICA_MAX_LAG_MS: '0' });
    expect(c.databaseReplicas).toEqual({ urls: ['postgres://r1/x', 'postgres://r2/x'], readYourWritesMs: 0, maxLagMs: 0, checkMs: 1000 });
    expect(() => loadConfig({ DATABASE_REPLICA_URLS: 'postgres://r1/x' })).toThrow(/DATABASE_REPLICA_URLS: replicas need DATABASE_URL/);
    expect(() => loadConfig({ ...cluster, DATABASE_REPLICA_URLS: 'not a url' })).toThrow(/DATABASE_REPLICA_URLS/);
    expect(() => loadConfig({ ...cluster, DATABASE_REPLICA_CHECK_MS: '10' })).toThrow(/DATABASE_REPLICA_CHECK_MS/);
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

  describe('media storage', () => {
    const cluster = { DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r:6379', JWT_SECRET: 'x'.repeat(32) };
    const s3 = { MEDIA_S3_BUCKET: 'pairly-media', MEDIA_S3_ENDPOINT: 'http://minio:9000', MEDIA_S3_ACCESS_KEY_ID: 'k', MEDIA_S3_SECRET_ACCESS_KEY: 's', MEDIA_S3_FORCE_PATH_STYLE: '1' };

    it('is the data dir in embedded mode, with the documented limits', () => {
      const c = loadConfig({ PAIRLY_DATA_DIR: '/srv/pairly' });
      expect(c.media.storage).toEqual({ driver: 'local', dir: '/srv/pairly/media' });
      expect(c.media).toMatchObject({ urlTtlSeconds: 300, uploadTtlSeconds: 3600, uploadsPerHour: 60, multipart: { thresholdBytes: 64 * 1024 ** 2, partBytes: 16 * 1024 ** 2 } });
    });

    it('is off in cluster mode unless S3 is configured or the data dir is said to be shared', () => {
      expect(loadConfig(cluster).media.storage).toBeNull();
      expect(loadConfig({ ...cluster, MEDIA_STORAGE: 'local' }).media.storage).toMatchObject({ driver: 'local' });
      expect(loadConfig({ ...cluster, ...s3 }).media.storage).toEqual({
        driver: 's3',
        bucket: 'pairly-media',
        endpoint: 'http://minio:9000',
        region: 'us-east-1',
        credentials: { accessKeyId: 'k', secretAccessKey: 's' },
        forcePathStyle: true,
      });
      // A bucket alone (AWS, the SDK's own credentials) is enough; MEDIA_STORAGE=local keeps the data dir even with one.
      expect(loadConfig({ MEDIA_S3_BUCKET: 'pairly-media' }).media.storage).toMatchObject({ driver: 's3', credentials: undefined, forcePathStyle: false });
      expect(loadConfig({ MEDIA_STORAGE: 'local', MEDIA_S3_BUCKET: 'pairly-media' }).media.storage).toMatchObject({ driver: 'local' });
    });

    it('refuses half an S3 configuration and parts too small for the largest video', () => {
      expect(() => loadConfig({ MEDIA_STORAGE: 's3' })).toThrow(/MEDIA_S3_BUCKET: required/);
      expect(() => loadConfig({ MEDIA_S3_BUCKET: 'b-1', MEDIA_S3_ACCESS_KEY_ID: 'k' })).toThrow(/MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY/);
      expect(() => loadConfig({ MEDIA_S3_BUCKET: 'Not_A_Bucket' })).toThrow(/MEDIA_S3_BUCKET/);
      expect(() => loadConfig({ MEDIA_MULTIPART_PART_BYTES: String(5 * 1024 ** 2), MEDIA_VIDEO_MAX_BYTES: String(5 * 1024 ** 3) })).toThrow(/more than 1000 parts/);
      expect(() => loadConfig({ MEDIA_MULTIPART_PART_BYTES: String(1024 ** 2) })).toThrow(/MEDIA_MULTIPART_PART_BYTES/);
    });
  });

  it('EARNINGS_HOLD_SECONDS: 7 days by default, 0 allowed (no hold), negative or over a year refused', () => {
    expect(loadConfig({}).earnings.holdSeconds).toBe(604_800);
    expect(loadConfig({ EARNINGS_HOLD_SECONDS: '0' }).earnings.holdSeconds).toBe(0);
    expect(() => loadConfig({ EARNINGS_HOLD_SECONDS: '-1' })).toThrow(/EARNINGS_HOLD_SECONDS/);
    expect(() => loadConfig({ EARNINGS_HOLD_SECONDS: String(400 * 86_400) })).toThrow(/EARNINGS_HOLD_SECONDS/);
  });

  it('payouts: a provider only with its keys (RazorpayX also with its account number), the rates and minimum, the Connect secret defaulting to the Stripe one', () => {
    const none = loadConfig({}).payouts;
    expect(none).toMatchObject({ minCredits: 1000, sweepSeconds: 60 });
    expect(none.stripe).toBeUndefined();
    expect(none.razorpay).toBeUndefined();
    const stripe = { STRIPE_SECRET_KEY: 'sk_test_12345678', STRIPE_WEBHOOK_SECRET: 'whsec_12345678' };
    expect(loadConfig(stripe).payouts.stripe).toMatchObject({ webhookSecret: 'whsec_12345678', currency: 'usd', minorPerCredit: 3 });
    expect(loadConfig({ ...stripe, STRIPE_CONNECT_WEBHOOK_SECRET: 'whsec_connect_1', PAYOUT_STRIPE_CURRENCY: 'eur' }).payouts.stripe).toMatchObject({ webhookSecret: 'whsec_connect_1', currency: 'eur' });
    const rzp = { RAZORPAY_KEY_ID: 'rzp_test_x', RAZORPAY_KEY_SECRET: 'secret_12345678', RAZORPAY_WEBHOOK_SECRET: 'whsec_rzp_1234' };
    expect(loadConfig(rzp).payouts.razorpay).toBeUndefined();
    expect(loadConfig({ ...rzp, RAZORPAYX_ACCOUNT_NUMBER: '7878780080316316' }).payouts.razorpay).toMatchObject({ accountNumber: '7878780080316316', minorPerCredit: 250, webhookSecret: 'whsec_rzp_1234' });
    expect(() => loadConfig({ RAZORPAYX_ACCOUNT_NUMBER: '7878780080316316' })).toThrow(/RAZORPAYX_ACCOUNT_NUMBER/);
    expect(() => loadConfig({ PAYOUT_MIN_CREDITS: '0' })).toThrow(/PAYOUT_MIN_CREDITS/);
    expect(() => loadConfig({ PAYOUT_STRIPE_CURRENCY: 'USD' })).toThrow(/PAYOUT_STRIPE_CURRENCY/);
  });
});
