import { numberFlag, usageError } from './args.js';
import type { LatencySummary } from './recorder.js';

/**
 * Types shared by the chat load scripts: the plan of users and
 * conversations, the settings of one measured round, its result, and the
 * IPC messages between chat-bench.ts and its driver child (chat-driver.ts).
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
}

/** Parent (chat-bench) → driver. */
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

/** The client-loop flags chat-bench and chat-load share, checked against their ranges. */
export function chatLoopFlags(
  values: Record<string, string | boolean | string[] | undefined>,
  usage: string,
): { clients: number; rate: number; concurrency: number; settleS: number; loop: LoopSettings } {
  const str = (k: string) => values[k] as string;
  const clients = numberFlag('clients', str('clients'), 2, 20_000, usage);
  if (clients % 2) usageError('--clients must be even: clients talk in pairs', usage);
  const rate = numberFlag('rate', str('rate'), 1, 100_000, usage);
  const maxInflight = numberFlag('max-inflight', str('max-inflight'), 0, 1_000_000, usage);
  return {
    clients,
    rate,
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
    },
  };
}
