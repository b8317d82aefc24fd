import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageView } from '../../../../shared/chat.js';
import { connect, http, newUser, type ClientSocket } from '../../../support/client.js';
import { LatencyRecorder } from '../../lib/recorder.js';
import { closeAll, pool, timed } from '../../lib/sessions.js';
import type { ChatPlan, ChatProgress, ChatRoundResult, LoopSettings, PlanUser, ReactionResult } from './protocol.js';

/**
 * The chat client side: set-up (users, conversations, prices, sockets) and
 * the paced sender loop that measures sender → recipient latency. Sender and
 * recipient sockets live in this one process, so both ends of a latency are
 * read from the same clock (performance.now()).
 */

export interface SetupOptions {
  concurrency: number;
  log(message: string): void;
}

const urlOf = (urls: string[], i: number) => urls[i % urls.length]!;

/**
 * Pairly users for `clients` clients (an even number): client i signs up on
 * the node it will connect to; the even client of each pair opens the
 * conversation. Everyone has `role`, unless `price` > 0: then every even
 * client is a fan and every odd one a creator charging `price` per message,
 * and `fund` gets the fans to fund.
 */
export async function preparePairly(
  urls: string[],
  clients: number,
  who: { price: number; role: PlanUser['role'] },
  o: SetupOptions & { fund?(fanIds: string[]): Promise<void> },
): Promise<{ plan: ChatPlan; setupMs: Record<string, number> }> {
  if (clients < 2 || clients % 2) throw new Error(`chat needs an even number of clients (pairs), got ${clients}`);
  const { price } = who;
  const setupMs: Record<string, number> = {};
  const role = (i: number): PlanUser['role'] => (price > 0 ? (i % 2 === 1 ? 'creator' : 'fan') : who.role);
  const users = await timed(setupMs, 'signup', () =>
    pool(clients, o.concurrency, async (i): Promise<PlanUser> => {
      const u = await newUser(urlOf(urls, i), { displayName: `Chat ${i}`, role: role(i) });
      return { id: u.user.id, token: u.accessToken, url: urlOf(urls, i), role: role(i) };
    }),
  );
  o.log(`${clients} users signed up in ${setupMs.signup} ms (${price > 0 ? `${clients / 2} fans, ${clients / 2} creators` : `all ${who.role}s`})`);
  const conversations = await timed(setupMs, 'conversations', () =>
    pool(clients / 2, o.concurrency, async (p) => {
      const [a, b] = [users[2 * p]!, users[2 * p + 1]!];
      const res = await http<{ conversationId: string }>(a.url, 'POST', '/api/conversations', { token: a.token, body: { userId: b.id } });
      if (res.status !== 201 && res.status !== 200) throw new Error(`POST /api/conversations: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.conversationId;
    }),
  );
  o.log(`${conversations.length} conversations opened in ${setupMs.conversations} ms`);
  if (price > 0) {
    await timed(setupMs, 'prices', () =>
      pool(clients / 2, o.concurrency, async (p) => {
        const c = users[2 * p + 1]!;
        const res = await http(c.url, 'PATCH', '/api/me', { token: c.token, body: { messagePrice: price } });
        if (res.status !== 200) throw new Error(`PATCH /api/me: ${res.status} ${JSON.stringify(res.body)}`);
      }),
    );
    if (!o.fund) throw new Error('priced chat needs a way to fund the fans');
    await timed(setupMs, 'funding', () => o.fund!(users.filter((u) => u.role === 'fan').map((u) => u.id)));
    o.log(`${clients / 2} creators priced at ${price} (${setupMs.prices} ms), ${clients / 2} fans funded (${setupMs.funding} ms)`);
  }
  return { plan: { users, conversations, price }, setupMs };
}

/** The bare relay's clients: made-up ids (UUIDs, so payloads have Pairly's sizes), no tokens. */
export function barePlan(urls: string[], clients: number): ChatPlan {
  if (clients < 2 || clients % 2) throw new Error(`chat needs an even number of clients (pairs), got ${clients}`);
  return {
    users: Array.from({ length: clients }, (_, i) => ({ id: randomUUID(), url: urlOf(urls, i), role: 'fan' as const })),
    conversations: Array.from({ length: clients / 2 }, () => randomUUID()),
    price: 0,
  };
}

/** Same plan, another set of URLs (a bare plan is made per target; a Pairly plan belongs to its nodes). */
export function withUrls(plan: ChatPlan, urls: string[]): ChatPlan {
  return { ...plan, users: plan.users.map((u, i) => ({ ...u, url: urlOf(urls, i) })) };
}

/** One websocket per client; any failure closes what was opened and throws. */
export async function connectPlan(plan: ChatPlan, concurrency: number): Promise<ClientSocket[]> {
  const opened: ClientSocket[] = [];
  try {
    return await pool(plan.users.length, concurrency, async (i) => {
      const u = plan.users[i]!;
      const socket = u.token
        ? await connect(u.url, u.token)
        : await connect(u.url, undefined, { auth: { user: u.id, peer: plan.users[i ^ 1]!.id } });
      opened.push(socket);
      return socket;
    });
  } catch (err) {
    for (const s of opened) s.close();
    throw err;
  }
}

interface Tracked {
  t0: number;
  sender: number;
  /** Sent inside the measured window. */
  measured: boolean;
  /** 0 waiting, 1 positive ack, 2 failed (error ack, timeout, disconnect). */
  ack: 0 | 1 | 2;
  delivered: boolean;
}

export interface RunHooks {
  label: string;
  onProgress?(s: ChatProgress): void;
  onMeasureStart?(): void;
  /** The window is over, sends stopped; the drain (late acks and deliveries) follows. */
  onMeasureEnd?(): void;
  /** First time an error code is seen in this run (load warns about RATE_LIMITED at once). */
  onNewErrorCode?(code: string): void;
  /** No send was answered for 2 s while some were outstanding (reported once per stall). */
  onStall?(outstanding: number): void;
}

const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

/**
 * The connected clients of one round. Every socket listens for
 * `chat:message` (the recipient side: latency, loss and duplicate
 * accounting, and a `chat:delivered` receipt when enabled), `chat:delivered`
 * and `wallet:updated` pushes (the sender side) and disconnects.
 */
export class ChatClients {
  private tracked = new Map<string, Tracked>();
  private latency = new LatencyRecorder();
  private ackLatency = new LatencyRecorder();
  private interval = new LatencyRecorder(1 << 12);
  private errorCodes = new Map<string, number>();
  private receiptErrorCodes = new Map<string, number>();
  private phase: ChatProgress['phase'] = 'warmup';
  private c = ChatClients.zero();
  private bodySeq = 0;
  private readonly pad: string;
  private onNewErrorCode: ((code: string) => void) | undefined;
  /** Reactions: the last message each client received (what it reacts to), whether its 👍 is on, and the emits awaiting the peer's push. */
  private lastReceived: ({ conversationId: string; messageId: string } | undefined)[] = [];
  private reactionOn = new Map<string, boolean>();
  private reactionWaits = new Map<string, { t0: number; measured: boolean }[]>();
  private reactionAck = new LatencyRecorder();
  private reactionPush = new LatencyRecorder();
  private reactionCodes = new Map<string, number>();
  private r = ChatClients.zeroReactions();

  private static zeroReactions() {
    return { sent: 0, sentInWindow: 0, acked: 0, ackedInWindow: 0, errors: 0, skipped: 0, pushes: 0 };
  }

  private static zero() {
    return {
      sent: 0,
      sentInWindow: 0,
      ackedOk: 0,
      delivered: 0,
      deliveredInWindow: 0,
      okUndelivered: 0,
      outstandingAcks: 0,
      outstandingReceipts: 0,
      duplicates: 0,
      strays: 0,
      heldBack: 0,
      charged: 0,
      walletPushes: 0,
      receiptsSent: 0,
      receiptsAcked: 0,
      receiptPushes: 0,
      disconnects: 0,
      errors: 0,
      receiptErrors: 0,
    };
  }

  constructor(
    readonly plan: ChatPlan,
    readonly sockets: ClientSocket[],
    private readonly o: { timeoutMs: number; receipts: boolean; bodyBytes: number },
  ) {
    this.pad = ' lorem ipsum dolor sit amet'.repeat(Math.ceil(o.bodyBytes / 27) + 1);
    sockets.forEach((socket, r) => {
      socket.on('chat:message', (m) => this.onMessage(socket, r, m));
      socket.on('chat:delivered', () => void this.c.receiptPushes++);
      socket.on('chat:changed', (m) => this.onChanged(m));
      socket.on('wallet:updated', () => void this.c.walletPushes++);
      socket.on('disconnect', () => void this.c.disconnects++);
    });
  }

  get size(): number {
    return this.sockets.length;
  }

  private fail(t: Tracked, code: string): void {
    t.ack = 2;
    this.c.errors++;
    if (!this.errorCodes.has(code)) this.onNewErrorCode?.(code);
    count(this.errorCodes, code);
  }

  private onMessage(socket: ClientSocket, r: number, m: MessageView): void {
    const now = performance.now();
    const t = this.tracked.get(m.clientId);
    if (!t || (t.sender ^ 1) !== r) {
      this.c.strays++;
      return;
    }
    if (t.delivered) {
      this.c.duplicates++;
      return;
    }
    t.delivered = true;
    this.c.delivered++;
    this.lastReceived[r] = { conversationId: m.conversationId, messageId: m.id };
    if (t.ack === 1) this.c.okUndelivered--;
    if (this.phase === 'measure') this.c.deliveredInWindow++;
    const ms = now - t.t0;
    if (t.measured) this.latency.record(ms);
    this.interval.record(ms);
    if (this.o.receipts) {
      this.c.receiptsSent++;
      this.c.outstandingReceipts++;
      socket.timeout(this.o.timeoutMs).emit('chat:delivered', { conversationId: m.conversationId, upToSeq: m.seq }, (err, res) => {
        this.c.outstandingReceipts--;
        if (!err && res.ok) {
          this.c.receiptsAcked++;
          return;
        }
        this.c.receiptErrors++;
        count(this.receiptErrorCodes, err ? (socket.connected ? 'TIMEOUT' : 'DISCONNECTED') : res.ok ? 'UNKNOWN' : res.error.code);
      });
    }
  }

  /** The peer's push of a reaction: timed from the oldest emit on that message still waiting. */
  private onChanged(m: MessageView): void {
    const now = performance.now();
    this.r.pushes++;
    const waits = this.reactionWaits.get(m.id);
    const w = waits?.shift();
    if (waits && waits.length === 0) this.reactionWaits.delete(m.id);
    if (w?.measured) this.reactionPush.record(now - w.t0);
  }

  /** Client i toggles its 👍 on the last message it received (nothing yet: skipped and counted). */
  private react(i: number, measured: boolean): void {
    const target = this.lastReceived[i];
    if (!target) return void this.r.skipped++;
    const socket = this.sockets[i]!;
    const on = !this.reactionOn.get(target.messageId);
    this.reactionOn.set(target.messageId, on);
    this.r.sent++;
    if (measured) this.r.sentInWindow++;
    const t0 = performance.now();
    const waits = this.reactionWaits.get(target.messageId) ?? [];
    waits.push({ t0, measured });
    this.reactionWaits.set(target.messageId, waits);
    socket.timeout(this.o.timeoutMs).emit('chat:react', { ...target, emoji: '👍', on }, (err, res) => {
      if (err || !res.ok) {
        this.r.errors++;
        count(this.reactionCodes, err ? (socket.connected ? 'TIMEOUT' : 'DISCONNECTED') : res.ok ? 'UNKNOWN' : res.error.code);
        return;
      }
      this.r.acked++;
      if (this.phase === 'measure') this.r.ackedInWindow++;
      if (measured) this.reactionAck.record(performance.now() - t0);
    });
  }

  private reactionResult(windowS: number): ReactionResult {
    return {
      sentRate: this.r.sentInWindow / windowS,
      ackedRate: this.r.ackedInWindow / windowS,
      sent: this.r.sent,
      acked: this.r.acked,
      errors: this.r.errors,
      errorCodes: Object.fromEntries(this.reactionCodes),
      skipped: this.r.skipped,
      pushes: this.r.pushes,
      ackLatency: this.reactionAck.summary(),
      pushLatency: this.reactionPush.summary(),
    };
  }

  /** Sends one message from client i to its peer. */
  private send(i: number, measured: boolean, answered?: () => void): Tracked {
    const socket = this.sockets[i]!;
    const clientId = randomUUID();
    const n = ++this.bodySeq;
    const body = `m${n}${this.pad}`.slice(0, Math.max(this.o.bodyBytes, String(n).length + 1));
    const t: Tracked = { t0: 0, sender: i, measured, ack: 0, delivered: false };
    this.tracked.set(clientId, t);
    this.c.sent++;
    this.c.outstandingAcks++;
    t.t0 = performance.now();
    // The price the client shows its user: a fan writing to a priced creator states it, or the send is refused.
    const priced = this.plan.price > 0 && this.plan.users[i]!.role === 'fan' && this.plan.users[i ^ 1]!.role === 'creator';
    const payload = { conversationId: this.plan.conversations[i >> 1]!, clientId, body, ...(priced ? { expectedPrice: this.plan.price } : {}) };
    socket.timeout(this.o.timeoutMs).emit('chat:send', payload, (err, res) => {
      this.c.outstandingAcks--;
      answered?.();
      if (err) return this.fail(t, socket.connected ? 'TIMEOUT' : 'DISCONNECTED');
      if (!res.ok) return this.fail(t, res.error.code);
      t.ack = 1;
      this.c.ackedOk++;
      if (!t.delivered) this.c.okUndelivered++;
      if (res.message.price > 0) this.c.charged++;
      if (t.measured) this.ackLatency.record(performance.now() - t.t0);
    });
    return t;
  }

  private reset(): void {
    this.tracked = new Map();
    this.latency.reset();
    this.ackLatency.reset();
    this.interval.reset();
    this.errorCodes.clear();
    this.receiptErrorCodes.clear();
    this.c = ChatClients.zero();
    this.lastReceived = [];
    this.reactionOn.clear();
    this.reactionWaits.clear();
    this.reactionAck.reset();
    this.reactionPush.reset();
    this.reactionCodes.clear();
    this.r = ChatClients.zeroReactions();
  }

  /**
   * Paced sends at `s.rate` per second in total, round-robin over a shuffled
   * set of senders: warm-up (not measured), the window, then the drain. The
   * pacer is open-loop: a send leaves when it is due, whether or not earlier
   * ones were answered, unless `maxInflight` are outstanding (then it is
   * skipped and counted as held back).
   */
  async run(s: LoopSettings, h: RunHooks): Promise<ChatRoundResult> {
    this.reset();
    this.onNewErrorCode = h.onNewErrorCode;
    const order = shuffled(this.sockets.length).slice(0, s.senders > 0 ? Math.min(s.senders, this.sockets.length) : undefined);
    const start = performance.now();
    const warmEnd = start + s.warmupS * 1000;
    const windowEnd = warmEnd + s.durationS * 1000;
    const tickMs = Math.max(1, Math.min(10, 1000 / s.rate));
    let windowStart = start;
    let cpu0 = process.cpuUsage();
    let phaseStart = start;
    let lastTick = start;
    this.phase = s.warmupS > 0 ? 'warmup' : 'measure';
    const beginWindow = () => {
      this.phase = 'measure';
      windowStart = phaseStart = performance.now();
      cpu0 = process.cpuUsage();
      h.onMeasureStart?.();
    };
    if (this.phase === 'measure') beginWindow();

    let lastAnswered = 0;
    let quietTicks = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      const answered = this.c.ackedOk + this.c.errors;
      if (this.c.outstandingAcks > 0 && answered === lastAnswered) {
        if (++quietTicks === 2) h.onStall?.(this.c.outstandingAcks);
      } else quietTicks = 0;
      lastAnswered = answered;
      h.onProgress?.({
        label: h.label,
        phase: this.phase,
        elapsedS: (now - phaseStart) / 1000,
        sent: this.c.sent,
        acked: this.c.ackedOk,
        delivered: this.c.delivered,
        rate: (this.interval.count * 1000) / (now - lastTick),
        errors: this.c.errors,
        outstanding: this.c.okUndelivered,
        p99Ms: this.interval.percentile(99),
      });
      this.interval.reset();
      lastTick = now;
    }, 1000);

    let windowS = 0;
    let cpu = cpu0;
    let rss = 0;
    try {
      let issued = 0;
      let next = 0;
      // Reactions need Pairly (the bare relay has no chat:react).
      const reactions = this.plan.users[0]?.token ? s.reactions : 0;
      let reacted = 0;
      let nextReactor = 0;
      // Closed loop: each sender's next send leaves from the previous one's ack, until the window ends.
      const chain = (i: number) => {
        if (performance.now() >= windowEnd) return;
        this.send(i, this.phase === 'measure', () => chain(i));
        if (this.phase === 'measure') this.c.sentInWindow++;
      };
      if (s.closed > 0) for (const i of order) for (let k = 0; k < s.closed; k++) chain(i);
      for (;;) {
        const now = performance.now();
        if (this.phase === 'warmup' && now >= warmEnd) beginWindow();
        if (now >= windowEnd) break;
        if (reactions > 0) {
          const dueReactions = Math.floor(((now - start) * reactions) / 1000) - reacted;
          for (let k = 0; k < dueReactions; k++) {
            this.react(order[nextReactor]!, this.phase === 'measure');
            nextReactor = (nextReactor + 1) % order.length;
          }
          if (dueReactions > 0) reacted += dueReactions;
        }
        if (s.closed > 0) {
          await sleep(tickMs);
          continue;
        }
        const due = Math.floor(((now - start) * s.rate) / 1000) - issued;
        for (let k = 0; k < due; k++) {
          if (this.c.outstandingAcks >= s.maxInflight) {
            this.c.heldBack += due - k;
            break;
          }
          this.send(order[next]!, this.phase === 'measure');
          if (this.phase === 'measure') this.c.sentInWindow++;
          next = (next + 1) % order.length;
        }
        if (due > 0) issued += due;
        await sleep(tickMs);
      }
      windowS = (performance.now() - windowStart) / 1000;
      cpu = process.cpuUsage(cpu0);
      rss = process.memoryUsage.rss();
      this.phase = 'drain';
      phaseStart = performance.now();
      h.onMeasureEnd?.();

      // Every outstanding ack ends by its timeout at the latest; then deliveries and receipts get the grace period.
      const ackDeadline = performance.now() + s.timeoutMs + 1000;
      while (this.c.outstandingAcks > 0 && performance.now() < ackDeadline) await sleep(20);
      const graceDeadline = performance.now() + s.graceMs;
      // Receipt pushes to the senders trail their acks by an adapter hop: wait for them too (only counted, not timed).
      const settled = () => this.c.okUndelivered === 0 && this.c.outstandingReceipts === 0 && this.c.receiptPushes >= this.c.receiptsAcked;
      while (!settled() && performance.now() < graceDeadline) await sleep(20);
    } finally {
      clearInterval(ticker);
      this.onNewErrorCode = undefined;
    }

    let lost = 0;
    let deliveredWithoutAck = 0;
    let unanswered = 0;
    for (const t of this.tracked.values()) {
      if (t.ack === 1 && !t.delivered) lost++;
      if (t.ack !== 1 && t.delivered) deliveredWithoutAck++;
      if (t.ack === 0) unanswered++;
    }
    const c = this.c;
    return {
      label: h.label,
      clients: this.sockets.length,
      senders: order.length,
      targetRate: s.rate,
      windowS,
      sent: c.sentInWindow,
      sentRate: c.sentInWindow / windowS,
      deliveredRate: c.deliveredInWindow / windowS,
      latency: this.latency.summary(),
      ackLatency: this.ackLatency.summary(),
      total: {
        sent: c.sent,
        ackedOk: c.ackedOk,
        delivered: c.delivered,
        lost,
        deliveredWithoutAck,
        duplicates: c.duplicates,
        strays: c.strays,
        unanswered,
        heldBack: c.heldBack,
        charged: c.charged,
        walletPushes: c.walletPushes,
        receiptsSent: c.receiptsSent,
        receiptsAcked: c.receiptsAcked,
        receiptPushes: c.receiptPushes,
        disconnects: c.disconnects,
      },
      errors: c.errors,
      errorCodes: Object.fromEntries(this.errorCodes),
      receiptErrors: c.receiptErrors,
      receiptErrorCodes: Object.fromEntries(this.receiptErrorCodes),
      clientCpuPct: ((cpu.user + cpu.system) / 1000 / (windowS * 1000)) * 100,
      clientRssMb: rss / (1024 * 1024),
      ...(this.plan.users[0]?.token && s.reactions > 0 ? { reactions: this.reactionResult(windowS) } : {}),
    };
  }

  close(): Promise<void> {
    return closeAll(this.sockets);
  }
}

/** 0..n-1 in random order (Fisher-Yates), so consecutive sends rarely share a conversation. */
function shuffled(n: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
