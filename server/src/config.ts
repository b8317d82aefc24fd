import { z } from 'zod';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { creditPack, type CreditPack } from '../../shared/payments.js';
import { OIDC_PROVIDERS } from '../../shared/auth.js';

/**
 * Every setting Pairly reads from the environment, parsed once at start-up.
 * A bad value stops the process with the full list of problems. Defaults are
 * documented here and in the README; nothing else reads process.env.
 */
const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** web/dist beside the code: the repository's in development, dist/web/dist in a build (scripts/build.mjs copies it). */
const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

const HOST_PORTS = /^[^\s,:/]+:\d{1,5}(,[^\s,:/]+:\d{1,5})*$/;
const CLUSTER_URL = new RegExp(`^redis\\+cluster://${HOST_PORTS.source.slice(1, -1)}$`);
const SENTINEL_URL = new RegExp(`^redis\\+sentinel://${HOST_PORTS.source.slice(1, -1)}/[a-zA-Z0-9_.-]{1,64}$`);

const envSchema = z
  .object({
    /** HTTP + Socket.IO port. */
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('0.0.0.0'),
    /**
     * Connections the kernel queues for accept (Node's own default is 511; Linux caps it at
     * net.core.somaxconn). A reconnect storm overflows a short queue: the dropped SYNs come back only
     * after TCP's 1 s, 3 s, 7 s retries, while the node sits idle between them (BENCHMARKS.md).
     */
    LISTEN_BACKLOG: z.coerce.number().int().min(1).max(65535).default(4096),
    /** PostgreSQL URL. Unset: embedded PGlite under PAIRLY_DATA_DIR. */
    DATABASE_URL: z.url().optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    /** How long a query waits for a pool connection (a new one included) before failing NOT_READY. */
    DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
    /** Streaming replicas of DATABASE_URL (comma list) for lag-tolerant reads: history pages, conversation lists, discover, feeds, search. */
    DATABASE_REPLICA_URLS: csv.pipe(z.array(z.url())).optional(),
    /** A user's lag-tolerant reads go to the primary for this long after they wrote through this node (read-your-writes). */
    DATABASE_READ_YOUR_WRITES_MS: z.coerce.number().int().min(0).max(600_000).default(5000),
    /** A replica further behind than this (or failing its check) serves no reads until it catches up; 0: no limit. */
    DATABASE_REPLICA_MAX_LAG_MS: z.coerce.number().int().min(0).max(86_400_000).default(30_000),
    /** How often each replica's health and lag are checked. */
    DATABASE_REPLICA_CHECK_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
    /**
     * Redis URL. Unset: in-memory adapter, limiter, revocation and job runner.
     * `redis+cluster://host:port,host:port`: a Redis Cluster, from those seed nodes (as REDIS_CLUSTER_NODES).
     */
    REDIS_URL: z.union([z.url(), z.string().regex(CLUSTER_URL, 'redis+cluster://host:port,host:port'), z.string().regex(SENTINEL_URL)]).optional(),
    /** A Redis Cluster's seed nodes, `host:port,host:port` (some masters are enough): the same as REDIS_URL=redis+cluster://… */
    REDIS_CLUSTER_NODES: z.string().regex(HOST_PORTS, 'host:port,host:port').optional(),
    /** Redis behind Sentinel: the sentinels, `host:port,host:port`, asked for the master named REDIS_SENTINEL_NAME. */
    REDIS_SENTINELS: z.string().regex(HOST_PORTS, 'host:port,host:port').optional(),
    REDIS_SENTINEL_NAME: z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/).default('mymaster'),
    /** Prefix of every Redis key and channel, so several deployments (or test files) share one Redis. */
    REDIS_PREFIX: z.string().regex(/^[a-zA-Z0-9_.:-]{1,40}$/).default('pairly:'),
    /** A Redis command on a request path not answered within this many ms fails NOT_READY (a Redis that hangs). */
    /** DATABASE_URL without REDIS_URL is refused (each node would keep its own limits, presence and jobs) unless this says one node is meant. */
    ALLOW_SINGLE_NODE_POSTGRES: bool.default(false),
    REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
    PAIRLY_DATA_DIR: z.string().default('./data'),
    /** The built web app (npm run build:web) served at /; `off`: serve none (nginx serves it in the production shape). */
    WEB_DIR: z.string().optional(),
    /** HS256 secret (at least 32 characters). Embedded mode generates one in PAIRLY_DATA_DIR. */
    JWT_SECRET: z.string().min(32).optional(),
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(5).max(3600).default(900),
    REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    NODE_ID: z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Origins allowed by CORS and by Socket.IO, comma separated. Default: PUBLIC_URL. */
    CORS_ORIGINS: csv.optional(),
    PUBLIC_URL: z.url().optional(),
    /**
     * Where the web app is served, for the pages a provider's hosted checkout returns to (Stripe Checkout → <this>/wallet).
     * Unset: the origin the checkout request came from when it is this server's own or one of CORS_ORIGINS, else PUBLIC_URL.
     */
    PUBLIC_WEB_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** Express "trust proxy" setting: which proxies' X-Forwarded-For to believe. */
    TRUST_PROXY: z.string().default('loopback'),
    /** Largest JSON body accepted by REST, in bytes. */
    HTTP_BODY_LIMIT: z.coerce.number().int().min(1024).max(10_000_000).default(100_000),
    /** Largest Socket.IO message accepted, in bytes. */
    SOCKET_MAX_PAYLOAD: z.coerce.number().int().min(1024).max(10_000_000).default(64_000),
    /** Engine.IO heartbeat: a ping every interval; a client that does not answer within the timeout is dropped (and a client that hears none within both drops the server). */
    SOCKET_PING_INTERVAL_MS: z.coerce.number().int().min(1000).max(300_000).default(10_000),
    SOCKET_PING_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300_000).default(5000),
    /** Events one socket may send per second before RATE_LIMITED (burst allowance = 2x). */
    SOCKET_EVENTS_PER_SECOND: z.coerce.number().int().min(1).max(10_000).default(20),
    /** Events one user may send per second over all their sockets and nodes (burst 2x). Default: 2 x SOCKET_EVENTS_PER_SECOND. */
    SOCKET_EVENTS_PER_USER_PER_SECOND: z.coerce.number().int().min(1).max(100_000).optional(),
    /** Sockets one user may have open at once over all nodes; one more is refused with TOO_MANY_SOCKETS. */
    SOCKETS_PER_USER_MAX: z.coerce.number().int().min(1).max(10_000).default(10),
    SOCKET_QUOTA_TTL_SECONDS: z.coerce.number().int().min(3).max(3600).default(60),
    /** Bytes a socket may have queued and not yet taken by the network; past this it is disconnected. */
    SOCKET_MAX_BUFFERED_BYTES: z.coerce.number().int().min(16_384).max(1_000_000_000).default(4 * 1024 * 1024),
    /** A quiet node runs one full garbage collection once its heap grew this many MB since the last (0: never; idle-collector.ts). */
    IDLE_GC_GROWTH_MB: z.coerce.number().int().min(0).max(1_000_000).default(64),
    /** /readyz fails once RSS passes this many MB (0: no RSS check). */
    MEMORY_READY_MAX_RSS_MB: z.coerce.number().int().min(0).default(0),
    /** /readyz fails once the V8 heap in use passes this fraction of its limit. */
    MEMORY_READY_MAX_HEAP_FRACTION: z.coerce.number().gt(0).max(1).default(0.85),
    LOGIN_MAX_FAILURES_PER_EMAIL: z.coerce.number().int().min(1).default(5),
    LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).default(50),
    LOGIN_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
    /** Wrong two-factor codes (authenticator or recovery) per user per window before 429. */
    TWO_FACTOR_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
    TWO_FACTOR_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
    /** Geo-IP look-ups (geoip-lite, ~110 MB when loaded, on the first public address): off, no sign-in has a country. */
    GEOIP: z.enum(['on', 'off']).default('on'),
    /** A sign-in's risk score (0-100) at which it steps up (a second factor, else a mailed link), and at which it is held. */
    RISK_LOGIN_STEP_UP_SCORE: z.coerce.number().int().min(1).max(100).default(50),
    RISK_LOGIN_HOLD_SCORE: z.coerce.number().int().min(1).max(100).default(90),
    /** Failed passwords within the window that make a sign-in's recent_failures. */
    RISK_LOGIN_FAILURES: z.coerce.number().int().min(1).default(3),
    RISK_LOGIN_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(3600),
    /** Faster than this (km/h) from the last sign-in's place is impossible_travel. */
    RISK_MAX_TRAVEL_KMH: z.coerce.number().int().min(1).default(900),
    /** How long a mailed sign-in confirmation link works. */
    RISK_LOGIN_CONFIRM_TTL_SECONDS: z.coerce.number().int().min(60).default(1800),
    /** A checkout's risk score at which its payment is held for an admin, and at which it is refused. */
    RISK_PAYMENT_HOLD_SCORE: z.coerce.number().int().min(1).max(100).default(50),
    RISK_PAYMENT_REFUSE_SCORE: z.coerce.number().int().min(1).max(100).default(90),
    /** Checkouts already opened in the last hour / day that make velocity_hour / velocity_day. */
    RISK_CHECKOUTS_PER_HOUR: z.coerce.number().int().min(1).default(5),
    RISK_CHECKOUTS_PER_DAY: z.coerce.number().int().min(1).default(20),
    /** An account younger than this buying a pack of at least this many credits is new_account_large_pack. */
    RISK_NEW_ACCOUNT_HOURS: z.coerce.number().int().min(0).default(24),
    RISK_LARGE_PACK_CREDITS: z.coerce.number().int().min(1).default(1000),
    /** Sign in with Google (OpenID Connect): offered only when both its client id and secret are set. */
    OIDC_GOOGLE_ISSUER: z.url().default('https://accounts.google.com'),
    OIDC_GOOGLE_CLIENT_ID: z.string().min(1).optional(),
    OIDC_GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
    /** Sign in with Apple, the same way. */
    OIDC_APPLE_ISSUER: z.url().default('https://appleid.apple.com'),
    OIDC_APPLE_CLIENT_ID: z.string().min(1).optional(),
    OIDC_APPLE_CLIENT_SECRET: z.string().min(1).optional(),
    /** Sign-ups one client address may make per window; checked before anything else (argon2 included). */
    SIGNUP_MAX_PER_IP: z.coerce.number().int().min(1).default(20),
    SIGNUP_WINDOW_SECONDS: z.coerce.number().int().min(1).default(3600),
    /** REST requests under /api one client address may make per window (webhooks, health and metrics exempt). */
    HTTP_MAX_REQUESTS_PER_IP: z.coerce.number().int().min(1).default(600),
    HTTP_RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
    /** Run job handlers in this process. Always on without Redis; with Redis the `workers/` process runs them. */
    RUN_WORKERS: bool.optional(),
    /** Attempts of every background job, and the first retry delay (doubling each time). */
    JOB_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(5),
    JOB_BACKOFF_MS: z.coerce.number().int().min(10).default(1000),
    /** Dead letters retried longer ago than this are deleted (daily); open ones are kept until an admin handles them. */
    DEAD_LETTER_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
    /** /metrics figures read from PostgreSQL (dead letters, payments, the ledger's last verification) are read at most this often per node; the scrapes in between get the last values. */
    METRICS_DB_CACHE_SECONDS: z.coerce.number().int().min(1).max(300).default(15),
    /** A running job's lock (renewed at half of it); a worker that dies leaves it to lapse. BullMQ's own default is 30 s. */
    JOB_LOCK_MS: z.coerce.number().int().min(500).max(600_000).default(15_000),
    /** How often each worker looks for jobs whose lock lapsed (their worker died) and runs them again. BullMQ's default is 30 s. */
    JOB_STALLED_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
    /** Times one job may be recovered from a dead worker; one stall more and it is dead-lettered. */
    JOB_MAX_STALLED_COUNT: z.coerce.number().int().min(0).max(100).default(1),
    /** How often a process running workers checks that its recurring schedules are still in Redis (besides after every reconnect). */
    JOB_SCHEDULE_CHECK_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    /** Seconds a SIGTERM waits for in-flight work before closing anyway. */
    SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(120).default(10),
    /** The Socket.IO admin UI at /admin/sockets (admins with 2FA); off removes its namespace and its per-connection bookkeeping. */
    CONSOLES_SOCKET_UI: bool.default(true),
    ARGON2_MEMORY_KIB: z.coerce.number().int().min(1024).default(19_456),
    /** Hours between an account's deletion (gone to everyone at once) and the anonymisation of its data. */
    ACCOUNT_ERASE_DELAY_HOURS: z.coerce.number().min(0).max(24 * 30).default(72),
    /** Days a data export can be downloaded before it is dropped. */
    ACCOUNT_EXPORT_TTL_DAYS: z.coerce.number().int().min(1).max(90).default(7),
    /** Platform fee on every spend, in basis points (2000 = 20%). */
    PLATFORM_FEE_BPS: z.coerce.number().int().min(0).max(10_000).default(2000),
    /** Shards of the platform revenue/escrow accounts and of the transfer hash chain. */
    LEDGER_SHARDS: z.coerce.number().int().min(1).max(256).default(16),
    /** Group-commit batches of standalone ledger operations in flight at once per node (each holds one PostgreSQL connection). */
    LEDGER_LANES: z.coerce.number().int().min(1).max(64).default(1),
    /** How often expired holds are voided and the ledger verified, in seconds. */
    HOLD_SWEEP_SECONDS: z.coerce.number().int().min(1).default(30),
    LEDGER_VERIFY_SECONDS: z.coerce.number().int().min(10).default(3600),
    /** Seconds a creator's earnings stay pending (refunds and chargebacks come back inside it) before they are available. 7 days. */
    EARNINGS_HOLD_SECONDS: z.coerce.number().int().min(0).max(31_536_000).default(604_800),
    /** The smallest payout a creator may ask for, in credits. */
    PAYOUT_MIN_CREDITS: z.coerce.number().int().min(1).max(2_147_483_647).default(1000),
    /** What one credit pays out through Stripe, in minor units of PAYOUT_STRIPE_CURRENCY (3: a credit pays three cents; packs sell credits at 3.3-5 cents). */
    PAYOUT_STRIPE_MINOR_PER_CREDIT: z.coerce.number().int().min(1).max(1_000_000).default(3),
    PAYOUT_STRIPE_CURRENCY: z.string().regex(/^[a-z]{3}$/).default('usd'),
    /** What one credit pays out through RazorpayX, in paise (INR minor units). */
    PAYOUT_RAZORPAY_MINOR_PER_CREDIT: z.coerce.number().int().min(1).max(1_000_000).default(250),
    /** The signing secret of the Stripe Connect webhook endpoint (events on connected accounts). Default: STRIPE_WEBHOOK_SECRET. */
    STRIPE_CONNECT_WEBHOOK_SECRET: z.string().min(8).optional(),
    /** The RazorpayX account number payouts are sent from; RazorpayX payouts are offered only when it is set (with the Razorpay keys). */
    RAZORPAYX_ACCOUNT_NUMBER: z.string().regex(/^[0-9A-Za-z]{5,40}$/).optional(),
    /** The secret of the RazorpayX webhook. Default: RAZORPAY_WEBHOOK_SECRET. */
    RAZORPAYX_WEBHOOK_SECRET: z.string().min(8).optional(),
    /** Moving money out (a payout request, a payout method or schedule) needs a session that proved its second factor within this many seconds. */
    PAYOUT_STEP_UP_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
    /** How often approved payouts whose send was lost are sent again, and due automatic payouts requested. */
    PAYOUT_SWEEP_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    /** A user's sockets on a node that stops heartbeating go offline after this many seconds (plus at most one heartbeat interval). */
    PRESENCE_TTL_SECONDS: z.coerce.number().int().min(2).max(600).default(10),
    /** How often each node renews its heartbeat and looks for peers whose heartbeat lapsed. Default: a third of PRESENCE_TTL_SECONDS. */
    PRESENCE_HEARTBEAT_MS: z.coerce.number().int().min(100).max(600_000).optional(),
    /** A typing indicator ends by itself after this long unless renewed. */
    TYPING_TTL_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
    /** Messages one user may send per 10 seconds, over all conversations and nodes. */
    CHAT_MESSAGES_PER_10S: z.coerce.number().int().min(1).default(30),
    /** Messages one user may send into one conversation per 5 seconds (flood protection). */
    CHAT_FLOOD_PER_5S: z.coerce.number().int().min(1).default(10),
    /** A chat:sync or history page stops adding messages at about this many bytes of JSON (and says hasMore). */
    CHAT_PAGE_MAX_BYTES: z.coerce.number().int().min(16_384).max(10_000_000).default(256 * 1024),
    /** The sender may edit a message for this long after sending it. */
    CHAT_EDIT_WINDOW_SECONDS: z.coerce.number().int().min(0).max(30 * 86_400).default(900),
    /** The sender may delete a message for everyone for this long after sending it (deleting for oneself has no limit). */
    CHAT_DELETE_WINDOW_SECONDS: z.coerce.number().int().min(0).max(30 * 86_400).default(3600),
    /** Random match: how long someone with interests waits for a shared one before anyone will do. */
    MATCH_FALLBACK_MS: z.coerce.number().int().min(0).default(5000),
    /** Random match: two people who just parted are not paired again for this long. */
    MATCH_COOLDOWN_SECONDS: z.coerce.number().int().min(0).default(60),
    MATCH_SKIPS_PER_MINUTE: z.coerce.number().int().min(1).default(20),
    /** Moves of one's own location (to another ~1 km cell) per user per 24 hours: each is a distance probe. */
    LOCATION_CHANGES_PER_DAY: z.coerce.number().int().min(1).max(10_000).default(20),
    /** Reports one user may file per hour (POST /api/reports and the per-kind report routes). */
    REPORTS_PER_HOUR: z.coerce.number().int().min(1).max(10_000).default(30),
    /** How often each node runs a pairing pass. */
    MATCH_PAIR_INTERVAL_MS: z.coerce.number().int().min(20).default(300),
    /** Length of a billed call minute, in seconds (60; tests shorten it). */
    CALL_MINUTE_SECONDS: z.coerce.number().min(1).max(3600).default(60),
    CALL_RING_SECONDS: z.coerce.number().min(1).max(600).default(30),
    /** A minute in progress at hang-up is billed only if it ran at least this long. */
    CALL_GRACE_SECONDS: z.coerce.number().min(0).max(59).default(3),
    /** How often active calls are checked against their Janus (room still there, instance answering). */
    CALL_MEDIA_SWEEP_SECONDS: z.coerce.number().min(1).max(3600).default(10),
    /** A call whose Janus has not answered for this long ends as a media failure, billed up to the last check that saw its room. */
    CALL_MEDIA_LOST_SECONDS: z.coerce.number().min(1).max(3600).default(20),
    /** JSON array of the Janus pool: [{"id","apiUrl","clientUrl","adminSecret"}]. Unset: calls and video matches are off. */
    SFU_JANUS_INSTANCES: z.string().optional(),
    /** How long the controller waits for a Janus answer before counting the instance unhealthy. */
    SFU_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
    /** HMAC key for SFU room ids, secrets and tokens (>= 32 characters, the same on every node). Default: derived from JWT_SECRET. */
    SFU_SECRET: z.string().min(32).optional(),
    /** TURN servers for calls (comma separated `turn:` URLs) and coturn's static-auth-secret; unset: no TURN. */
    TURN_URLS: csv.optional(),
    TURN_SECRET: z.string().min(16).optional(),
    TURN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
    /** JSON array of credit packs `[{id, credits, prices: {usd: 499, ...}}]`; a default catalogue otherwise. */
    CREDIT_PACKS: z.string().optional(),
    STRIPE_SECRET_KEY: z.string().min(8).optional(),
    STRIPE_WEBHOOK_SECRET: z.string().min(8).optional(),
    /** Stripe API base URL; set only to point the SDK at a stand-in. */
    STRIPE_API_BASE: z.url().optional(),
    RAZORPAY_KEY_ID: z.string().min(4).optional(),
    RAZORPAY_KEY_SECRET: z.string().min(8).optional(),
    RAZORPAY_WEBHOOK_SECRET: z.string().min(8).optional(),
    RAZORPAY_API_BASE: z.url().optional(),
    /** The local sandbox provider (checkouts completed by a local call). Default: on in embedded mode only. */
    PAYMENTS_SANDBOX: bool.optional(),
    RECONCILE_SECONDS: z.coerce.number().int().min(10).default(3600),
    /** How often stored webhook events still pending after a minute (their job lost) are enqueued again. */
    PAYMENTS_REQUEUE_SECONDS: z.coerce.number().int().min(1).default(60),
    /** A call to Stripe or Razorpay that takes longer fails as PROVIDER_UNAVAILABLE (and counts against its breaker). */
    PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
    /** Consecutive failures (timeouts, connection errors, 5xx, 429) that open a provider's circuit breaker. */
    PROVIDER_BREAKER_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
    /** How long an open provider breaker fails calls at once before letting one trial call through. */
    PROVIDER_BREAKER_HALF_OPEN_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
    /** Consecutive Janus requests unanswered within SFU_TIMEOUT_MS that open its instance's breaker (the pool then skips it). */
    SFU_BREAKER_FAILURES: z.coerce.number().int().min(1).max(1000).default(3),
    /** How long an open Janus breaker skips its instance before one trial; keep it well under CALL_MEDIA_LOST_SECONDS. */
    SFU_BREAKER_HALF_OPEN_MS: z.coerce.number().int().min(100).max(3_600_000).default(5000),
    /**
     * Where uploaded media is stored: `local` (PAIRLY_DATA_DIR/media, served by this server through signed URLs) or `s3`.
     * Unset: `s3` when MEDIA_S3_BUCKET is set, else `local` in embedded mode and media off in cluster mode
     * (nodes do not share a data dir; set `local` only when PAIRLY_DATA_DIR is one volume every node and the workers mount).
     */
    MEDIA_STORAGE: z.enum(['local', 's3']).optional(),
    MEDIA_S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name').optional(),
    /** S3-compatible endpoint (MinIO, R2, a stand-in); unset: AWS S3 of MEDIA_S3_REGION. */
    MEDIA_S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
    MEDIA_S3_REGION: z.string().regex(/^[a-z0-9-]{2,40}$/).default('us-east-1'),
    /** Both or neither; neither: the AWS SDK's default credential chain (instance role, AWS_* variables). */
    MEDIA_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    MEDIA_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    /** Path-style URLs (endpoint/bucket/key): MinIO and most stand-ins need it. */
    MEDIA_S3_FORCE_PATH_STYLE: bool.default(false),
    /** Lifetime of a signed read URL of a media variant. */
    MEDIA_URL_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
    /** How long an upload may take from its request to its confirm; unconfirmed uploads are swept after it. */
    MEDIA_UPLOAD_TTL_SECONDS: z.coerce.number().int().min(60).max(7 * 86_400).default(3600),
    /** How often unconfirmed uploads, unfinished deletions and lost processing jobs are swept. */
    MEDIA_SWEEP_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
    /** Uploads one user may start per hour. */
    MEDIA_UPLOADS_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(60),
    MEDIA_IMAGE_MAX_BYTES: z.coerce.number().int().min(1024).max(1024 ** 3).default(20 * 1024 ** 2),
    MEDIA_IMAGE_MAX_PIXELS: z.coerce.number().int().min(10_000).max(268_402_689).default(50_000_000),
    MEDIA_VIDEO_MAX_BYTES: z.coerce.number().int().min(1024).max(5 * 1024 ** 3).default(512 * 1024 ** 2),
    MEDIA_VIDEO_MAX_SECONDS: z.coerce.number().int().min(1).max(6 * 3600).default(300),
    /** Uploads larger than this go in parts (multipart, resumable). */
    MEDIA_MULTIPART_THRESHOLD_BYTES: z.coerce.number().int().min(5 * 1024 ** 2).max(5 * 1024 ** 3).default(64 * 1024 ** 2),
    /** Size of each part but the last (S3's minimum is 5 MiB). */
    MEDIA_MULTIPART_PART_BYTES: z.coerce.number().int().min(5 * 1024 ** 2).max(1024 ** 3).default(16 * 1024 ** 2),
    /** A processing step (ffmpeg, ffprobe, sharp) running longer is killed and the job retried. */
    MEDIA_PROCESS_TIMEOUT_SECONDS: z.coerce.number().int().min(5).max(3600).default(600),
    /** Images whose Porn + Hentai score reaches this are nude: refused where nudity is (profile photos, random-match snapshots). */
    MODERATION_NUDITY_BLOCK: z.coerce.number().min(0.01).max(1).default(0.7),
    /** Profile photos between this and the block threshold (or Sexy at MODERATION_SEXY_REVIEW) are quarantined for an admin. */
    MODERATION_NUDITY_REVIEW: z.coerce.number().min(0.01).max(1).default(0.4),
    MODERATION_SEXY_REVIEW: z.coerce.number().min(0.01).max(1).default(0.85),
    /** The same text (normalised) from one sender to this many sends within the window is refused as spam. */
    MODERATION_REPEAT_LIMIT: z.coerce.number().int().min(2).max(10_000).default(5),
    MODERATION_REPEAT_WINDOW_SECONDS: z.coerce.number().int().min(10).max(86_400).default(600),
    /** Subscription tiers a creator may have at once (archived ones aside). */
    CREATOR_MAX_TIERS: z.coerce.number().int().min(1).max(10).default(5),
    /** A tier's price increase reaches existing subscribers only at renewals at least this many days after it is announced. */
    CREATOR_PRICE_NOTICE_DAYS: z.coerce.number().int().min(0).max(365).default(7),
    /** A renewal that could not be paid keeps access and is retried for this many days, then the subscription expires. */
    CREATOR_GRACE_DAYS: z.coerce.number().int().min(0).max(60).default(3),
    /** How often the renewal job looks for subscriptions due, and how many it renews per batch. */
    CREATOR_RENEW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    CREATOR_RENEW_BATCH: z.coerce.number().int().min(1).max(10_000).default(200),
    /** A fan whose subscription will not renew (cancelled, a trial not opted in, or a wallet short of the renewal price) is told this many hours before it ends, once per period. 0: never. */
    CREATOR_EXPIRY_NOTICE_HOURS: z.coerce.number().int().min(0).max(720).default(72),
    /** On: creators sell nothing (pay-per-view posts, priced tiers, pay-to-view attachments, message and call prices) until an admin has verified them (VERIFICATION_REQUIRED). */
    CREATOR_PAID_CONTENT_REQUIRES_VERIFICATION: bool.default(false),
    /** Bounds of one tip, in credits. */
    TIP_MIN: z.coerce.number().int().min(1).default(1),
    TIP_MAX: z.coerce.number().int().min(1).default(10_000),
    /** Creators with an audience below this get their posts written into each follower's feed (fan-out on write); at or above it, merged into feeds on read. */
    FEED_FANOUT_MAX: z.coerce.number().int().min(1).max(100_000_000).default(20_000),
    /** Feed rows one fan-out transaction writes. */
    FEED_FANOUT_BATCH: z.coerce.number().int().min(1).max(100_000).default(5000),
    /** Share of a fan-out's time spent writing batches (%): after a batch that took t it rests t × (100 − d) / d, so other users' work gets the database in between. 100: no rest. */
    FEED_FANOUT_DUTY_PERCENT: z.coerce.number().int().min(1).max(100).default(100),
    /** Latest posts a new follower's feed gets from the creator. */
    FEED_BACKFILL_POSTS: z.coerce.number().int().min(0).max(100).default(10),
    /** How often fan-outs whose job was lost are looked for. */
    FEED_FANOUT_SWEEP_SECONDS: z.coerce.number().int().min(5).max(86_400).default(60),
    /** Recipients one mass-message transaction delivers to. */
    MASS_MESSAGE_BATCH: z.coerce.number().int().min(1).max(10_000).default(500),
    /** At most this many recipients a second per mass message (it rests between batches), so other users' chat stays fast; 0: no cap. */
    MASS_MESSAGE_PER_SECOND: z.coerce.number().int().min(0).max(1_000_000).default(2000),
    /** How often mass messages whose delivery job was lost are looked for (and how long untouched counts as lost). */
    MASS_MESSAGE_SWEEP_SECONDS: z.coerce.number().int().min(5).max(86_400).default(60),
    /** Where mail goes (smtp:// or smtps://, credentials in the URL). Unset: the local outbox under PAIRLY_DATA_DIR (GET /api/mail/outbox). */
    SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
    /** The From of every mail Pairly sends. */
    MAIL_FROM: z.string().min(3).max(200).default('Pairly <no-reply@pairly.local>'),
    /** How long an email verification or email-change link works (48 hours). */
    EMAIL_LINK_TTL_SECONDS: z.coerce.number().int().min(1).max(30 * 86_400).default(172_800),
    /** How long a password reset link works (1 hour). */
    PASSWORD_RESET_TTL_SECONDS: z.coerce.number().int().min(1).max(7 * 86_400).default(3600),
    /** Events of one kind about one subject within this window collapse into one notification ("10 new messages"). */
    NOTIFY_COLLAPSE_SECONDS: z.coerce.number().int().min(1).max(30 * 86_400).default(3600),
    /** Notifications kept per user (the newest); older ones are dropped. */
    NOTIFY_KEEP: z.coerce.number().int().min(10).max(10_000).default(200),
    /** How often the mail digest looks for users to mail. */
    NOTIFY_DIGEST_SECONDS: z.coerce.number().int().min(5).max(86_400).default(900),
    /** A notification goes into a mail digest once unread this long while its user stays offline. */
    NOTIFY_DIGEST_AFTER_SECONDS: z.coerce.number().int().min(0).max(30 * 86_400).default(1800),
    /** The VAPID key pair web pushes are signed with (base64url, from `npx web-push generate-vapid-keys`). Unset: generated into PAIRLY_DATA_DIR in embedded mode; no web push in cluster mode. */
    VAPID_PUBLIC_KEY: z.string().regex(/^[A-Za-z0-9_-]{80,100}$/).optional(),
    VAPID_PRIVATE_KEY: z.string().regex(/^[A-Za-z0-9_-]{40,50}$/).optional(),
    /** Accept http:// push endpoints (a local push service, in tests and development); browsers' push services are all https. */
    NOTIFY_PUSH_HTTP_ENDPOINTS: bool.default(false),
    /** The contact push services see in the VAPID token (mailto: or https:). */
    VAPID_SUBJECT: z.string().regex(/^(mailto:|https:\/\/)\S+$/).default('mailto:admin@pairly.local'),
  });

export interface Config {
  mode: 'embedded' | 'cluster';
  port: number;
  host: string;
  /** The listen socket's accept queue (LISTEN_BACKLOG). */
  listenBacklog: number;
  databaseUrl?: string;
  databasePoolSize: number;
  databaseConnectTimeoutMs: number;
  /** Lag-tolerant reads (db.reader): replica URLs, none for reads on the primary only. */
  databaseReplicas: { urls: string[]; readYourWritesMs: number; maxLagMs: number; checkMs: number };
  redisUrl?: string;
  redisPrefix: string;
  redisCommandTimeoutMs: number;
  dataDir: string;
  /** The built web app's folder, served at / when it holds an index.html; null: none. */
  webDir: string | null;
  /** Undefined only in embedded mode before the data dir supplies one. */
  jwtSecret?: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  nodeId: string;
  logLevel: string;
  corsOrigins: string[];
  publicUrl: string;
  /** PUBLIC_WEB_URL, when set. */
  publicWebUrl?: string;
  /** SMTP_URL when set; otherwise mail is written to `outboxDir`. */
  mail: { smtpUrl?: string; from: string; outboxDir: string };
  /** Notifications: collapsing, how many are kept, the mail digest and web push (VAPID). */
  notifications: {
    collapseSeconds: number;
    keep: number;
    digestEverySeconds: number;
    digestAfterSeconds: number;
    vapid?: { publicKey: string; privateKey: string };
    vapidSubject: string;
    pushHttpEndpoints: boolean;
  };
  /** Lifetimes of mailed account links, in seconds. */
  accountLinks: { emailTtlSeconds: number; resetTtlSeconds: number };
  trustProxy: string;
  httpBodyLimit: number;
  socketPing: { intervalMs: number; timeoutMs: number };
  socketMaxPayload: number;
  socketEventsPerSecond: number;
  socketEventsPerUserPerSecond: number;
  socketsPerUserMax: number;
  /** How long a socket's place in its user's quota lasts unless its node refreshes it (every third of it). */
  socketQuotaTtlSeconds: number;
  /** Heap growth (MB) after which a quiet node collects garbage; 0: never. */
  idleGcGrowthMb: number;
  socketMaxBufferedBytes: number;
  memoryReady: { maxRssMb: number; maxHeapFraction: number };
  login: { maxFailuresPerEmail: number; maxFailuresPerIp: number; windowSeconds: number };
  twoFactor: { maxFailures: number; windowSeconds: number };
  /** Risk scoring (modules/risk): geo-IP, thresholds and the rules' limits. */
  risk: {
    geoip: boolean;
    login: { stepUpScore: number; holdScore: number; failures: number; failureWindowSeconds: number; maxTravelKmh: number; confirmTtlSeconds: number };
    payment: { holdScore: number; refuseScore: number; checkoutsPerHour: number; checkoutsPerDay: number; newAccountHours: number; largePackCredits: number; providers: number };
  };
  /** The OpenID providers offered for sign-in: those whose client id and secret are both set. */
  oidc: OidcProviderConfig[];
  signup: { maxPerIp: number; windowSeconds: number };
  httpRateLimit: { maxPerIp: number; windowSeconds: number };
  runWorkers: boolean;
  jobRetry: { attempts: number; backoffMs: number };
  /** DEAD_LETTER_RETENTION_DAYS. */
  deadLetterRetentionDays: number;
  /** METRICS_DB_CACHE_SECONDS: how long a node reuses the database-derived /metrics figures. */
  metricsDbCacheSeconds: number;
  jobWorkers: { lockMs: number; stalledIntervalMs: number; maxStalledCount: number; scheduleCheckSeconds: number };
  shutdownGraceSeconds: number;
  /** The operators' consoles (consoles module). */
  consoles: { socketUi: boolean };
  argon2MemoryKib: number;
  /** Account deletion and data export (erasure module). */
  erasure: { eraseDelayHours: number; exportTtlDays: number };
  /** How often each node renews its presence heartbeat (chat.presenceTtlSeconds is the heartbeat's TTL). */
  presenceHeartbeatMs: number;
  ledger: { feeBps: number; shards: number; holdSweepSeconds: number; verifySeconds: number; batch: { lanes: number } };
  /** EARNINGS_HOLD_SECONDS. */
  earnings: { holdSeconds: number };
  /** PAYOUT_*, STRIPE_CONNECT_WEBHOOK_SECRET, RAZORPAYX_*: a provider is present only when its keys are. */
  payouts: {
    minCredits: number;
    /** PAYOUT_STEP_UP_SECONDS. */
    stepUpSeconds: number;
    sweepSeconds: number;
    stripe?: { secretKey: string; webhookSecret: string; apiBase?: string; currency: string; minorPerCredit: number };
    razorpay?: { keyId: string; keySecret: string; webhookSecret: string; apiBase?: string; accountNumber: string; minorPerCredit: number };
  };
  chat: { presenceTtlSeconds: number; typingTtlMs: number; messagesPer10s: number; floodPer5s: number; pageMaxBytes: number; editWindowSeconds: number; deleteWindowSeconds: number };
  match: { fallbackMs: number; cooldownMs: number; skipsPerMinute: number; pairIntervalMs: number };
  profiles: { locationChangesPerDay: number };
  reports: { perHour: number };
  calls: { minuteSeconds: number; ringSeconds: number; graceSeconds: number; mediaSweepSeconds: number; mediaLostSeconds: number; turn?: { urls: string[]; secret: string; ttlSeconds: number } };
  sfu: {
    instances: { id: string; apiUrl: string; clientUrl: string; adminSecret: string }[];
    secret?: string;
    timeoutMs: number;
    breaker: { failures: number; halfOpenMs: number };
  };
  payments: {
    packs: CreditPack[];
    stripe?: { secretKey: string; webhookSecret: string; apiBase?: string };
    razorpay?: { keyId: string; keySecret: string; webhookSecret: string; apiBase?: string };
    sandbox: boolean;
    reconcileSeconds: number;
    requeueSeconds: number;
    /** Around every call to a provider's API. */
    breaker: { timeoutMs: number; failures: number; halfOpenMs: number };
  };
  media: MediaConfig;
  moderation: ModerationConfig;
  feed: { fanoutMax: number; fanoutBatch: number; fanoutDutyPercent: number; backfillPosts: number; sweepSeconds: number };
  massMessages: { batch: number; perSecond: number; sweepSeconds: number };
  creators: CreatorsConfig;
  verification: { paidContentRequiresVerification: boolean };
}

export interface CreatorsConfig {
  maxTiers: number;
  priceNoticeDays: number;
  graceDays: number;
  renewSeconds: number;
  renewBatch: number;
  /** Hours before a period's end that a fan whose subscription will not renew is told (0: never). */
  expiryNoticeHours: number;
  tip: { min: number; max: number };
}

export type MediaStorageConfig =
  | { driver: 'local'; dir: string }
  | {
      driver: 's3';
      bucket: string;
      endpoint?: string;
      region: string;
      credentials?: { accessKeyId: string; secretAccessKey: string };
      forcePathStyle: boolean;
    };

export interface ModerationConfig {
  /** Porn + Hentai at or above: nude. */
  nudityBlock: number;
  /** Porn + Hentai at or above (below nudityBlock), or Sexy at sexyReview: an admin looks first where nudity is refused. */
  nudityReview: number;
  sexyReview: number;
  /** Sends of one normalised text by one sender within windowSeconds before the next is refused. */
  repeat: { limit: number; windowSeconds: number };
}

export interface MediaConfig {
  /** null: media is off (cluster mode without S3 or MEDIA_STORAGE=local): its routes answer MEDIA_UNAVAILABLE. */
  storage: MediaStorageConfig | null;
  urlTtlSeconds: number;
  uploadTtlSeconds: number;
  sweepSeconds: number;
  uploadsPerHour: number;
  limits: { imageMaxBytes: number; imageMaxPixels: number; videoMaxBytes: number; videoMaxSeconds: number };
  multipart: { thresholdBytes: number; partBytes: number };
  processTimeoutSeconds: number;
}

export const DEFAULT_CREDIT_PACKS: CreditPack[] = [
  { id: 'starter', credits: 100, prices: { usd: 499, eur: 499, inr: 39_900 } },
  { id: 'popular', credits: 550, prices: { usd: 1999, eur: 1999, inr: 159_900 } },
  { id: 'whale', credits: 1200, prices: { usd: 3999, eur: 3999, inr: 319_900 } },
];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset", as they do in shells and compose files.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  // A Cluster's nodes, or the sentinels, are its URL from here on: everything that asks "is there a Redis?" reads REDIS_URL.
  const given = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'].filter((k) => cleaned[k]);
  const clusterProblem = given.length > 1 ? [`${given[1]}: set one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS, not ${given.join(' and ')}`] : [];
  if (given.length === 1 && cleaned.REDIS_CLUSTER_NODES && HOST_PORTS.test(cleaned.REDIS_CLUSTER_NODES)) {
    cleaned.REDIS_URL = `redis+cluster://${cleaned.REDIS_CLUSTER_NODES}`;
  }
  if (given.length === 1 && cleaned.REDIS_SENTINELS && HOST_PORTS.test(cleaned.REDIS_SENTINELS)) {
    cleaned.REDIS_URL = `redis+sentinel://${cleaned.REDIS_SENTINELS}/${cleaned.REDIS_SENTINEL_NAME ?? 'mymaster'}`;
  }
  const parsed = envSchema.safeParse(cleaned);
  const problems = parsed.success ? [...clusterProblem] : [...clusterProblem, ...parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`)];
  // Checked by hand so it is reported together with the schema's problems, not after they are fixed.
  if (cleaned.DATABASE_URL && !cleaned.JWT_SECRET) {
    problems.push('JWT_SECRET: required when DATABASE_URL is set (cluster mode): every node must share it');
  }
  // Several nodes on one PostgreSQL without Redis would each keep their own rate limits, presence, revocations and
  // job runner, silently: one node on PostgreSQL is allowed only when said so.
  if (cleaned.DATABASE_URL && !cleaned.REDIS_URL && !(parsed.success && parsed.data.ALLOW_SINGLE_NODE_POSTGRES)) {
    problems.push(
      'REDIS_URL: required with DATABASE_URL (nodes sharing a PostgreSQL share limits, presence and jobs through Redis); ' +
        'set ALLOW_SINGLE_NODE_POSTGRES=1 to run ONE node on PostgreSQL with in-memory limits, presence and jobs',
    );
  }
  if (cleaned.DATABASE_REPLICA_URLS && !cleaned.DATABASE_URL) problems.push('DATABASE_REPLICA_URLS: replicas need DATABASE_URL (embedded mode reads its own PGlite)');
  const packs = parsePacks(cleaned.CREDIT_PACKS, problems);
  const sfuInstances = parseSfu(cleaned.SFU_JANUS_INSTANCES, problems);
  if (parsed.success && parsed.data.PRESENCE_HEARTBEAT_MS !== undefined && parsed.data.PRESENCE_HEARTBEAT_MS >= parsed.data.PRESENCE_TTL_SECONDS * 1000) {
    problems.push('PRESENCE_HEARTBEAT_MS: must be shorter than PRESENCE_TTL_SECONDS, or live nodes lapse between their own heartbeats');
  }
  if (!cleaned.VAPID_PUBLIC_KEY !== !cleaned.VAPID_PRIVATE_KEY) problems.push('VAPID_PUBLIC_KEY: set together with VAPID_PRIVATE_KEY (one key pair), or neither');
  if (parsed.success && parsed.data.TIP_MIN > parsed.data.TIP_MAX) problems.push('TIP_MIN: must not be above TIP_MAX');
  if (parsed.success && parsed.data.MODERATION_NUDITY_REVIEW > parsed.data.MODERATION_NUDITY_BLOCK) problems.push('MODERATION_NUDITY_REVIEW: must not be above MODERATION_NUDITY_BLOCK');
  if (Boolean(cleaned.TURN_URLS) !== Boolean(cleaned.TURN_SECRET)) problems.push('TURN: set both TURN_URLS and TURN_SECRET, or neither');
  if (cleaned.RAZORPAYX_ACCOUNT_NUMBER && !cleaned.RAZORPAY_KEY_ID) problems.push('RAZORPAYX_ACCOUNT_NUMBER: RazorpayX payouts need the Razorpay keys too (RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET)');
  for (const [name, keys] of [
    ['Stripe', ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET']],
    ['Razorpay', ['RAZORPAY_KEY_ID', 'RAZORPAY_KEY_SECRET', 'RAZORPAY_WEBHOOK_SECRET']],
  ] as const) {
    const set = keys.filter((k) => cleaned[k]);
    if (set.length > 0 && set.length < keys.length) problems.push(`${name}: set all of ${keys.join(', ')} or none`);
  }
  if (Boolean(cleaned.MEDIA_S3_ACCESS_KEY_ID) !== Boolean(cleaned.MEDIA_S3_SECRET_ACCESS_KEY)) {
    problems.push('MEDIA_S3: set both MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY, or neither (the SDK\'s default credentials)');
  }
  if (cleaned.MEDIA_STORAGE === 's3' && !cleaned.MEDIA_S3_BUCKET) problems.push('MEDIA_S3_BUCKET: required with MEDIA_STORAGE=s3');
  if (parsed.success) {
    const e = parsed.data;
    // Every part URL is handed out with the upload: keep their number small.
    if (Math.ceil(e.MEDIA_VIDEO_MAX_BYTES / e.MEDIA_MULTIPART_PART_BYTES) > 1000) {
      problems.push('MEDIA_MULTIPART_PART_BYTES: a video of MEDIA_VIDEO_MAX_BYTES would need more than 1000 parts; raise the part size');
    }
  }
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  const e = parsed.data;
  const publicUrl = e.PUBLIC_URL ?? `http://localhost:${e.PORT}`;
  return {
    mode: e.DATABASE_URL && e.REDIS_URL ? 'cluster' : 'embedded',
    port: e.PORT,
    host: e.HOST,
    listenBacklog: e.LISTEN_BACKLOG,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseConnectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
    databaseReplicas: {
      urls: e.DATABASE_REPLICA_URLS ?? [],
      readYourWritesMs: e.DATABASE_READ_YOUR_WRITES_MS,
      maxLagMs: e.DATABASE_REPLICA_MAX_LAG_MS,
      checkMs: e.DATABASE_REPLICA_CHECK_MS,
    },
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    dataDir: resolve(e.PAIRLY_DATA_DIR),
    webDir: e.WEB_DIR === undefined ? DEFAULT_WEB_DIR : e.WEB_DIR === 'off' ? null : resolve(e.WEB_DIR),
    jwtSecret: e.JWT_SECRET,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlDays: e.REFRESH_TOKEN_TTL_DAYS,
    nodeId: e.NODE_ID ?? `${hostname()}-${e.PORT}`,
    logLevel: e.LOG_LEVEL,
    corsOrigins: e.CORS_ORIGINS ?? [new URL(publicUrl).origin],
    publicUrl,
    publicWebUrl: e.PUBLIC_WEB_URL,
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM, outboxDir: join(resolve(e.PAIRLY_DATA_DIR), 'outbox') },
    notifications: {
      collapseSeconds: e.NOTIFY_COLLAPSE_SECONDS,
      keep: e.NOTIFY_KEEP,
      digestEverySeconds: e.NOTIFY_DIGEST_SECONDS,
      digestAfterSeconds: e.NOTIFY_DIGEST_AFTER_SECONDS,
      vapid: e.VAPID_PUBLIC_KEY && e.VAPID_PRIVATE_KEY ? { publicKey: e.VAPID_PUBLIC_KEY, privateKey: e.VAPID_PRIVATE_KEY } : undefined,
      vapidSubject: e.VAPID_SUBJECT,
      pushHttpEndpoints: e.NOTIFY_PUSH_HTTP_ENDPOINTS,
    },
    accountLinks: { emailTtlSeconds: e.EMAIL_LINK_TTL_SECONDS, resetTtlSeconds: e.PASSWORD_RESET_TTL_SECONDS },
    trustProxy: e.TRUST_PROXY,
    httpBodyLimit: e.HTTP_BODY_LIMIT,
    socketPing: { intervalMs: e.SOCKET_PING_INTERVAL_MS, timeoutMs: e.SOCKET_PING_TIMEOUT_MS },
    socketMaxPayload: e.SOCKET_MAX_PAYLOAD,
    socketEventsPerSecond: e.SOCKET_EVENTS_PER_SECOND,
    socketEventsPerUserPerSecond: e.SOCKET_EVENTS_PER_USER_PER_SECOND ?? 2 * e.SOCKET_EVENTS_PER_SECOND,
    socketsPerUserMax: e.SOCKETS_PER_USER_MAX,
    socketQuotaTtlSeconds: e.SOCKET_QUOTA_TTL_SECONDS,
    idleGcGrowthMb: e.IDLE_GC_GROWTH_MB,
    socketMaxBufferedBytes: e.SOCKET_MAX_BUFFERED_BYTES,
    memoryReady: { maxRssMb: e.MEMORY_READY_MAX_RSS_MB, maxHeapFraction: e.MEMORY_READY_MAX_HEAP_FRACTION },
    login: {
      maxFailuresPerEmail: e.LOGIN_MAX_FAILURES_PER_EMAIL,
      maxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      windowSeconds: e.LOGIN_FAILURE_WINDOW_SECONDS,
    },
    twoFactor: { maxFailures: e.TWO_FACTOR_MAX_FAILURES, windowSeconds: e.TWO_FACTOR_FAILURE_WINDOW_SECONDS },
    risk: {
      geoip: e.GEOIP === 'on',
      login: {
        stepUpScore: e.RISK_LOGIN_STEP_UP_SCORE,
        holdScore: e.RISK_LOGIN_HOLD_SCORE,
        failures: e.RISK_LOGIN_FAILURES,
        failureWindowSeconds: e.RISK_LOGIN_FAILURE_WINDOW_SECONDS,
        maxTravelKmh: e.RISK_MAX_TRAVEL_KMH,
        confirmTtlSeconds: e.RISK_LOGIN_CONFIRM_TTL_SECONDS,
      },
      payment: {
        holdScore: e.RISK_PAYMENT_HOLD_SCORE,
        refuseScore: e.RISK_PAYMENT_REFUSE_SCORE,
        checkoutsPerHour: e.RISK_CHECKOUTS_PER_HOUR,
        checkoutsPerDay: e.RISK_CHECKOUTS_PER_DAY,
        newAccountHours: e.RISK_NEW_ACCOUNT_HOURS,
        largePackCredits: e.RISK_LARGE_PACK_CREDITS,
        // Every provider Pairly takes (stripe, razorpay, sandbox): a payer who used them all within 30 days.
        providers: 3,
      },
    },
    oidc: oidcProviders(e),
    signup: { maxPerIp: e.SIGNUP_MAX_PER_IP, windowSeconds: e.SIGNUP_WINDOW_SECONDS },
    httpRateLimit: { maxPerIp: e.HTTP_MAX_REQUESTS_PER_IP, windowSeconds: e.HTTP_RATE_WINDOW_SECONDS },
    // Without Redis there is no BullMQ, so the handlers must run here.
    runWorkers: e.REDIS_URL ? (e.RUN_WORKERS ?? false) : true,
    jobRetry: { attempts: e.JOB_ATTEMPTS, backoffMs: e.JOB_BACKOFF_MS },
    deadLetterRetentionDays: e.DEAD_LETTER_RETENTION_DAYS,
    metricsDbCacheSeconds: e.METRICS_DB_CACHE_SECONDS,
    jobWorkers: {
      lockMs: e.JOB_LOCK_MS,
      stalledIntervalMs: e.JOB_STALLED_INTERVAL_MS,
      maxStalledCount: e.JOB_MAX_STALLED_COUNT,
      scheduleCheckSeconds: e.JOB_SCHEDULE_CHECK_SECONDS,
    },
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
    consoles: { socketUi: e.CONSOLES_SOCKET_UI },
    argon2MemoryKib: e.ARGON2_MEMORY_KIB,
    erasure: { eraseDelayHours: e.ACCOUNT_ERASE_DELAY_HOURS, exportTtlDays: e.ACCOUNT_EXPORT_TTL_DAYS },
    presenceHeartbeatMs: e.PRESENCE_HEARTBEAT_MS ?? Math.round((e.PRESENCE_TTL_SECONDS * 1000) / 3),
    chat: {
      presenceTtlSeconds: e.PRESENCE_TTL_SECONDS,
      typingTtlMs: e.TYPING_TTL_MS,
      messagesPer10s: e.CHAT_MESSAGES_PER_10S,
      floodPer5s: e.CHAT_FLOOD_PER_5S,
      pageMaxBytes: e.CHAT_PAGE_MAX_BYTES,
      editWindowSeconds: e.CHAT_EDIT_WINDOW_SECONDS,
      deleteWindowSeconds: e.CHAT_DELETE_WINDOW_SECONDS,
    },
    calls: {
      minuteSeconds: e.CALL_MINUTE_SECONDS,
      ringSeconds: e.CALL_RING_SECONDS,
      graceSeconds: e.CALL_GRACE_SECONDS,
      mediaSweepSeconds: e.CALL_MEDIA_SWEEP_SECONDS,
      mediaLostSeconds: e.CALL_MEDIA_LOST_SECONDS,
      turn: e.TURN_URLS?.length && e.TURN_SECRET ? { urls: e.TURN_URLS, secret: e.TURN_SECRET, ttlSeconds: e.TURN_TTL_SECONDS } : undefined,
    },
    sfu: {
      instances: sfuInstances,
      secret: e.SFU_SECRET,
      timeoutMs: e.SFU_TIMEOUT_MS,
      breaker: { failures: e.SFU_BREAKER_FAILURES, halfOpenMs: e.SFU_BREAKER_HALF_OPEN_MS },
    },
    match: {
      fallbackMs: e.MATCH_FALLBACK_MS,
      cooldownMs: e.MATCH_COOLDOWN_SECONDS * 1000,
      skipsPerMinute: e.MATCH_SKIPS_PER_MINUTE,
      pairIntervalMs: e.MATCH_PAIR_INTERVAL_MS,
    },
    profiles: { locationChangesPerDay: e.LOCATION_CHANGES_PER_DAY },
    reports: { perHour: e.REPORTS_PER_HOUR },
    payments: {
      packs,
      stripe:
        e.STRIPE_SECRET_KEY && e.STRIPE_WEBHOOK_SECRET
          ? { secretKey: e.STRIPE_SECRET_KEY, webhookSecret: e.STRIPE_WEBHOOK_SECRET, apiBase: e.STRIPE_API_BASE }
          : undefined,
      razorpay:
        e.RAZORPAY_KEY_ID && e.RAZORPAY_KEY_SECRET && e.RAZORPAY_WEBHOOK_SECRET
          ? { keyId: e.RAZORPAY_KEY_ID, keySecret: e.RAZORPAY_KEY_SECRET, webhookSecret: e.RAZORPAY_WEBHOOK_SECRET, apiBase: e.RAZORPAY_API_BASE }
          : undefined,
      sandbox: e.PAYMENTS_SANDBOX ?? !e.DATABASE_URL,
      reconcileSeconds: e.RECONCILE_SECONDS,
      requeueSeconds: e.PAYMENTS_REQUEUE_SECONDS,
      breaker: { timeoutMs: e.PROVIDER_TIMEOUT_MS, failures: e.PROVIDER_BREAKER_FAILURES, halfOpenMs: e.PROVIDER_BREAKER_HALF_OPEN_MS },
    },
    media: {
      storage: mediaStorage(e),
      urlTtlSeconds: e.MEDIA_URL_TTL_SECONDS,
      uploadTtlSeconds: e.MEDIA_UPLOAD_TTL_SECONDS,
      sweepSeconds: e.MEDIA_SWEEP_SECONDS,
      uploadsPerHour: e.MEDIA_UPLOADS_PER_HOUR,
      limits: {
        imageMaxBytes: e.MEDIA_IMAGE_MAX_BYTES,
        imageMaxPixels: e.MEDIA_IMAGE_MAX_PIXELS,
        videoMaxBytes: e.MEDIA_VIDEO_MAX_BYTES,
        videoMaxSeconds: e.MEDIA_VIDEO_MAX_SECONDS,
      },
      multipart: { thresholdBytes: e.MEDIA_MULTIPART_THRESHOLD_BYTES, partBytes: e.MEDIA_MULTIPART_PART_BYTES },
      processTimeoutSeconds: e.MEDIA_PROCESS_TIMEOUT_SECONDS,
    },
    moderation: {
      nudityBlock: e.MODERATION_NUDITY_BLOCK,
      nudityReview: e.MODERATION_NUDITY_REVIEW,
      sexyReview: e.MODERATION_SEXY_REVIEW,
      repeat: { limit: e.MODERATION_REPEAT_LIMIT, windowSeconds: e.MODERATION_REPEAT_WINDOW_SECONDS },
    },
    creators: {
      maxTiers: e.CREATOR_MAX_TIERS,
      priceNoticeDays: e.CREATOR_PRICE_NOTICE_DAYS,
      graceDays: e.CREATOR_GRACE_DAYS,
      renewSeconds: e.CREATOR_RENEW_SECONDS,
      renewBatch: e.CREATOR_RENEW_BATCH,
      expiryNoticeHours: e.CREATOR_EXPIRY_NOTICE_HOURS,
      tip: { min: e.TIP_MIN, max: e.TIP_MAX },
    },
    verification: { paidContentRequiresVerification: e.CREATOR_PAID_CONTENT_REQUIRES_VERIFICATION },
    feed: { fanoutMax: e.FEED_FANOUT_MAX, fanoutBatch: e.FEED_FANOUT_BATCH, fanoutDutyPercent: e.FEED_FANOUT_DUTY_PERCENT, backfillPosts: e.FEED_BACKFILL_POSTS, sweepSeconds: e.FEED_FANOUT_SWEEP_SECONDS },
    massMessages: { batch: e.MASS_MESSAGE_BATCH, perSecond: e.MASS_MESSAGE_PER_SECOND, sweepSeconds: e.MASS_MESSAGE_SWEEP_SECONDS },
    ledger: {
      feeBps: e.PLATFORM_FEE_BPS,
      shards: e.LEDGER_SHARDS,
      batch: { lanes: e.LEDGER_LANES },
      holdSweepSeconds: e.HOLD_SWEEP_SECONDS,
      verifySeconds: e.LEDGER_VERIFY_SECONDS,
    },
    earnings: { holdSeconds: e.EARNINGS_HOLD_SECONDS },
    payouts: {
      minCredits: e.PAYOUT_MIN_CREDITS,
      stepUpSeconds: e.PAYOUT_STEP_UP_SECONDS,
      sweepSeconds: e.PAYOUT_SWEEP_SECONDS,
      stripe:
        e.STRIPE_SECRET_KEY && e.STRIPE_WEBHOOK_SECRET
          ? {
              secretKey: e.STRIPE_SECRET_KEY,
              webhookSecret: e.STRIPE_CONNECT_WEBHOOK_SECRET ?? e.STRIPE_WEBHOOK_SECRET,
              apiBase: e.STRIPE_API_BASE,
              currency: e.PAYOUT_STRIPE_CURRENCY,
              minorPerCredit: e.PAYOUT_STRIPE_MINOR_PER_CREDIT,
            }
          : undefined,
      razorpay:
        e.RAZORPAY_KEY_ID && e.RAZORPAY_KEY_SECRET && e.RAZORPAY_WEBHOOK_SECRET && e.RAZORPAYX_ACCOUNT_NUMBER
          ? {
              keyId: e.RAZORPAY_KEY_ID,
              keySecret: e.RAZORPAY_KEY_SECRET,
              webhookSecret: e.RAZORPAYX_WEBHOOK_SECRET ?? e.RAZORPAY_WEBHOOK_SECRET,
              apiBase: e.RAZORPAY_API_BASE,
              accountNumber: e.RAZORPAYX_ACCOUNT_NUMBER,
              minorPerCredit: e.PAYOUT_RAZORPAY_MINOR_PER_CREDIT,
            }
          : undefined,
    },
  };
}

/**
 * The media driver: S3 when asked for or when a bucket is set; the data dir in embedded mode; in cluster
 * mode the data dir only when asked for (a volume shared by every node and the workers), else none.
 */
function mediaStorage(e: z.output<typeof envSchema>): MediaStorageConfig | null {
  const driver = e.MEDIA_STORAGE ?? (e.MEDIA_S3_BUCKET ? 's3' : e.DATABASE_URL && e.REDIS_URL ? null : 'local');
  if (driver === 'local') return { driver, dir: join(resolve(e.PAIRLY_DATA_DIR), 'media') };
  if (driver === 's3' && e.MEDIA_S3_BUCKET) {
    return {
      driver,
      bucket: e.MEDIA_S3_BUCKET,
      endpoint: e.MEDIA_S3_ENDPOINT,
      region: e.MEDIA_S3_REGION,
      credentials:
        e.MEDIA_S3_ACCESS_KEY_ID && e.MEDIA_S3_SECRET_ACCESS_KEY ? { accessKeyId: e.MEDIA_S3_ACCESS_KEY_ID, secretAccessKey: e.MEDIA_S3_SECRET_ACCESS_KEY } : undefined,
      forcePathStyle: e.MEDIA_S3_FORCE_PATH_STYLE,
    };
  }
  return null;
}

function parsePacks(raw: string | undefined, problems: string[]): CreditPack[] {
  if (!raw) return DEFAULT_CREDIT_PACKS;
  try {
    const packs = creditPack.array().min(1).parse(JSON.parse(raw));
    if (new Set(packs.map((p) => p.id)).size !== packs.length) throw new Error('pack ids must be unique');
    return packs;
  } catch (err) {
    problems.push(`CREDIT_PACKS: ${err instanceof Error ? err.message.split('\n')[0] : 'invalid'}`);
    return [];
  }
}

const sfuInstance = z.strictObject({ id: z.string().min(1).max(64), apiUrl: z.url(), clientUrl: z.url(), adminSecret: z.string().min(1) });

function parseSfu(raw: string | undefined, problems: string[]): Config['sfu']['instances'] {
  if (!raw) return [];
  try {
    return sfuInstance.array().min(1).parse(JSON.parse(raw));
  } catch (err) {
    problems.push(`SFU_JANUS_INSTANCES: ${err instanceof Error ? err.message.split('\n')[0] : 'invalid'}`);
    return [];
  }
}

export interface OidcProviderConfig {
  name: (typeof OIDC_PROVIDERS)[number];
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** A provider half configured (an id without its secret) is not offered rather than failing at its first sign-in. */
function oidcProviders(e: Partial<Record<`OIDC_${'GOOGLE' | 'APPLE'}_${'ISSUER' | 'CLIENT_ID' | 'CLIENT_SECRET'}`, string>>): OidcProviderConfig[] {
  return OIDC_PROVIDERS.flatMap((name) => {
    const upper = name.toUpperCase() as 'GOOGLE' | 'APPLE';
    const [issuer, clientId, clientSecret] = [e[`OIDC_${upper}_ISSUER`], e[`OIDC_${upper}_CLIENT_ID`], e[`OIDC_${upper}_CLIENT_SECRET`]];
    return issuer && clientId && clientSecret ? [{ name, issuer, clientId, clientSecret }] : [];
  });
}
