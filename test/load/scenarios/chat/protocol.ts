import { choiceFlag, numberFlag, usageError } from '../../lib/args.js';
import type { LatencySummary } from '../../lib/recorder.js';

/**
 * Types shared by the chat load scripts: the plan of users and
 * conversations, the settings of one measured round, its result, and the
 * IPC messages between the chat bench (bench.ts) and its driver child (driver.ts).
 */

/** One client: a Pairly user (with a token) or, against the bare relay, just an id. */
export interface PlanUser {
  id: string;
  /** Absent against the bare relay (no auth). */
  token?: string;
  url: string;
  role: 'fan' | 'creator';
}

/**
 * Client i talks to client i ^ 1 in conversation i >> 1. Client i goes to
 * urls[i % urls.length], so with two URLs the two sides of every
 * conversation sit on different nodes.
 */
export interface ChatPlan {
  users: PlanUser[];
  conversations: string[];
  /** Message price creators charge (0: no creators). */
  price: number;
}

export interface LoopSettings {
  /** Messages per second over all senders. */
  rate: number;
  /** Clients that send (the first `senders` of a shuffled order); 0 = all. */
  senders: number;
  warmupS: number;
  durationS: number;
  /** Wait after the sends stop for acks and deliveries still on their way (bounded by timeoutMs + graceMs). */
  graceMs: number;
  timeoutMs: number;
  /** Unanswered sends at most; a send due while this many are outstanding is skipped (counted as held back). */
  maxInflight: number;
  /** Recipients answer every message with chat:delivered. */
  receipts: boolean;
  /** Length of each message body in characters. */
  bodyBytes: number;
  /**
   * Closed loop: every sender keeps this many sends in flight and sends again as soon as an ack
   * comes back (rate and maxInflight are then unused); 0 = the paced, open loop.
   */
  closed: number;
  /**
   * Reactions per second in total (chat:react, alternately adding and removing 👍 on the last message each
   * client received), issued alongside the messages; 0 = none. Pairly only: the bare relay has no reactions.
   */
  reactions: number;
}

/** What the reactions of a round did (present when --reactions > 0 and the target is Pairly). */
export interface ReactionResult {
  /** Issued in the window, and acked (ok) in the window, per second. */
  sentRate: number;
  ackedRate: number;
  /** Over the whole round. */
  sent: number;
  acked: number;
  errors: number;
  errorCodes: Record<string, number>;
  /** Due but skipped: the client had received no message yet to react to. */
  skipped: number;
  /** chat:changed pushes that reached the peer. */
  pushes: number;
  /** Emit → positive ack, reactions sent in the window. */
  ackLatency: LatencySummary;
  /** Emit → the peer's chat:changed for that message, reactions sent in the window. */
  pushLatency: LatencySummary;
}

export interface ChatProgress {
  label: string;
  phase: 'warmup' | 'measure' | 'drain';
  elapsedS: number;
  sent: number;
  acked: number;
  delivered: number;
  /** Deliveries per second over the last interval. */
  rate: number;
  errors: number;
  /** Acked and not (yet) delivered. */
  outstanding: number;
  /** p99 (ms) of the deliveries in the last interval. */
  p99Ms: number;
}

export interface ChatRoundResult {
  label: string;
  clients: number;
  senders: number;
  targetRate: number;
  /** Measured window, seconds. */
  windowS: number;
  /** Sends issued in the window, and per second. */
  sent: number;
  sentRate: number;
  /** Deliveries to the recipient that arrived inside the window, per second. */
  deliveredRate: number;
  /** Sender emit → recipient chat:message, messages sent in the window. */
  latency: LatencySummary;
  /** Sender emit → positive ack, messages sent in the window. */
  ackLatency: LatencySummary;
  /** Over the whole round (warm-up and window): every message tracked. */
  total: {
    sent: number;
    ackedOk: number;
    delivered: number;
    /** Positive ack, never delivered to the recipient by the end of the grace period. */
    lost: number;
    /** Delivered although the ack said it failed (or never came). */
    deliveredWithoutAck: number;
    duplicates: number;
    /** Deliveries of a message this run did not send, or to the wrong client. */
    strays: number;
    /** Still without ack when the drain deadline passed (should be 0: the ack timeout ends each). */
    unanswered: number;
    /** Sends skipped because maxInflight sends were outstanding (the target could not keep up). */
    heldBack: number;
    /** Acks carrying a price > 0 (charged messages), and wallet:updated pushes seen. */
    charged: number;
    walletPushes: number;
    receiptsSent: number;
    receiptsAcked: number;
    /** chat:delivered pushes that reached the senders. */
    receiptPushes: number;
    disconnects: number;
  };
  errors: number;
  errorCodes: Record<string, number>;
  receiptErrors: number;
  receiptErrorCodes: Record<string, number>;
  /** CPU of the process running the clients over the window, % of one core. */
  clientCpuPct: number;
  /** RSS of the process running the clients at the end of the window. */
  clientRssMb: number;
  reactions?: ReactionResult;
}

/** Parent (bench.ts) → driver. */
export type ToChatDriver =
  | {
      type: 'prepare';
      urls: string[];
      clients: number;
      price: number;
      role: 'fan' | 'creator';
      concurrency: number;
    }
  | { type: 'funded' }
  | {
      type: 'round';
      label: string;
      urls: string[];
      clients: number;
      /** false: the bare relay (anonymous users made up by the driver). */
      auth: boolean;
      settleS: number;
      concurrency: number;
      loop: LoopSettings;
    }
  | { type: 'go' }
  | { type: 'close-round' }
  | { type: 'exit' };

/** Driver → parent. */
export type FromChatDriver =
  | { type: 'log'; message: string }
  | { type: 'fund'; userIds: string[] }
  | { type: 'prepared'; setupMs: Record<string, number> }
  | { type: 'ready'; setupMs: Record<string, number> }
  | { type: 'progress'; snapshot: ChatProgress }
  | { type: 'measure-start' }
  | { type: 'measure-end' }
  | { type: 'result'; result: ChatRoundResult }
  | { type: 'round-closed' }
  | { type: 'failed'; message: string };

/** Defaults that differ between the chat bench and load (sizes, the pause after connecting). */
export interface ChatDefaults {
  clients: string;
  rate: string;
  settle: string;
}

/** The client-loop flags the chat bench and load share (parseArgs options). */
export function chatLoopOptions(d: ChatDefaults) {
  return {
    clients: { type: 'string', default: d.clients },
    rate: { type: 'string', default: d.rate },
    senders: { type: 'string', default: '0' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    settle: { type: 'string', default: d.settle },
    grace: { type: 'string', default: '3000' },
    timeout: { type: 'string', default: '5000' },
    'max-inflight': { type: 'string', default: '0' },
    closed: { type: 'string', default: '0' },
    body: { type: 'string', default: '64' },
    'no-receipts': { type: 'boolean', default: false },
    reactions: { type: 'string', default: '0' },
    role: { type: 'string', default: 'fan' },
    priced: { type: 'boolean', default: false },
    'setup-concurrency': { type: 'string', default: '32' },
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
}

/** Their lines of --help. */
export const chatLoopUsage = (d: ChatDefaults): string => `  --clients N            connected clients, an even number: client i talks to client i^1 (default ${d.clients})
  --rate R               messages per second in total over all senders (default ${d.rate})
  --senders N            clients that send, 0 = all (default 0)
  --duration S           measured seconds (default 10)
  --warmup S             sending but not measured first (default 2)
  --settle S             idle seconds after connecting, before sending (default ${d.settle})
  --grace MS             after the window, wait up to this long for deliveries still on their way (default 3000)
  --timeout MS           ack timeout per message (default 5000)
  --max-inflight N       unanswered sends at most; a send due beyond that is skipped and counted (default: 2 × rate, ≥ 200)
  --closed K             closed loop: every sender keeps K sends in flight, the next leaving when an ack returns
                         (--rate is then ignored); 0 = paced (default 0)
  --body N               characters per message body (default 64)
  --no-receipts          recipients do not answer with chat:delivered
  --reactions R          also R reactions per second in total (chat:react on the last message each client received,
                         👍 added then removed), timed to the peer's chat:changed; Pairly only (default 0)
  --role fan|creator     who the (unpriced) users are (default fan)
  --priced               every pair is a fan and a creator charging 1 credit per message; fans are funded
  --setup-concurrency N  sign-ups, conversations and connects at once (default 32)`;

/** The client-loop flags the chat bench and load share, checked against their ranges. */
export function chatLoopFlags(
  values: Record<string, string | boolean | string[] | undefined>,
  usage: string,
): { clients: number; rate: number; concurrency: number; settleS: number; loop: LoopSettings; role: PlanUser['role']; priced: boolean } {
  const str = (k: string) => values[k] as string;
  const role = choiceFlag('role', str('role'), ['fan', 'creator'], usage);
  const priced = values.priced === true;
  if (priced && role !== 'fan') usageError('--priced makes its own fan/creator pairs: leave out --role', usage);
  const clients = numberFlag('clients', str('clients'), 2, 20_000, usage);
  if (clients % 2) usageError('--clients must be even: clients talk in pairs', usage);
  const rate = numberFlag('rate', str('rate'), 1, 100_000, usage);
  const maxInflight = numberFlag('max-inflight', str('max-inflight'), 0, 1_000_000, usage);
  return {
    clients,
    rate,
    role,
    priced,
    concurrency: numberFlag('setup-concurrency', str('setup-concurrency'), 1, 256, usage),
    settleS: numberFlag('settle', str('settle'), 0, 120, usage, false),
    loop: {
      rate,
      senders: numberFlag('senders', str('senders'), 0, clients, usage),
      warmupS: numberFlag('warmup', str('warmup'), 0, 60, usage, false),
      durationS: numberFlag('duration', str('duration'), 1, 600, usage, false),
      graceMs: numberFlag('grace', str('grace'), 0, 60_000, usage),
      timeoutMs: numberFlag('timeout', str('timeout'), 100, 60_000, usage),
      maxInflight: maxInflight || Math.max(200, 2 * rate),
      receipts: !values['no-receipts'],
      bodyBytes: numberFlag('body', str('body'), 1, 4000, usage),
      closed: numberFlag('closed', str('closed'), 0, 100, usage, false),
      reactions: numberFlag('reactions', str('reactions'), 0, 100_000, usage, false),
    },
  };
}
