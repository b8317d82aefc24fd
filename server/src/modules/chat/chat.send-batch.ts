import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { assertPriceShown, priceFor } from '../../prices.js';
import { Batcher, type BatcherOptions, type Outcome } from '../../batcher.js';
import { MESSAGE_COLUMNS, SEND_BATCH_SETTINGS, type BatchInsert, type BatchSendRow, type ChatBatchStore } from './chat.batch.store.js';
import type { MessagePolicy, MessageReplyInput, MessageRow, SendState } from './chat.store.js';

/**
 * Free messages by group commit. The sends a node receives within a short window are stored in one
 * transaction of two statements: lock the batch's conversations and read what each send decides on
 * (ChatBatchStore.lock), then one multi-row insert that numbers the messages in SQL
 * (ChatBatchStore.insert). Every send is answered after that COMMIT with its own message or its own
 * error: a send refused (not a member, closed, blocked, the creator's policy, PRICE_CHANGED) refuses
 * only itself. A send that turns out to be priced is handed back (`priced`) to the per-message
 * transaction, which charges it through the ledger.
 *
 * Retries: a clientId already stored in the conversation replays its message (or IDEMPOTENCY_CONFLICT); the same clientId
 * twice in one batch is stored once, the second answered as a replay of the first; a twin committed
 * by another node between the lock's snapshot and the insert makes the batch roll back and run again,
 * where the look-up sees it.
 */

export interface BatchSendInput {
  senderId: string;
  senderRole: string;
  conversationId: string;
  clientId: string;
  body: string;
  /** Free attachments only: priced ones take the per-message path. */
  attachment?: { mediaId: string; price: number };
  expectedPrice?: number;
  reply?: MessageReplyInput;
}

export type BatchSendResult = { priced: true } | { priced: false; row: MessageRow; replayed: boolean; peerId: string };

/** A twin committed between the lock and the insert: the batch runs again. */
class TwinCommitted extends Error {}

/** The one-statement batch and decideSend did not agree on a request: the batch runs again in two statements. */
class RulesDisagree extends Error {}

/** The message columns of a ChatBatchStore.send row, as insert() returns a message. */
function messageOf(r: BatchSendRow): MessageRow {
  const row = r as unknown as Record<string, unknown>;
  return Object.fromEntries(MESSAGE_COLUMNS.map((c) => [c, row[c]])) as unknown as MessageRow;
}

export class SendBatch {
  private readonly batcher: Batcher<BatchSendInput, BatchSendResult>;

  /**
   * Batches commit side by side, but never two holding the same conversation: a conversation's sends
   * wait for the batch in flight that holds it and go in the next (the Batcher's keys). Messages are
   * numbered in the order this node received them (a client that sends m1 then m2 without waiting sees
   * m1 first), batches in flight never wait on each other's row locks, and a batch does not wait as a
   * whole for one conversation it shares with an earlier batch.
   */
  constructor(
    private readonly d: { db: Database; store: ChatBatchStore; onDisagree?: (why: string) => void },
    o: BatcherOptions = {},
  ) {
    this.batcher = new Batcher((items) => this.store(items), { ...o, keys: (i) => [i.conversationId] });
  }

  submit(input: BatchSendInput): Promise<BatchSendResult> {
    return this.batcher.submit(input);
  }

  private async store(items: BatchSendInput[]): Promise<Outcome<BatchSendResult>[]> {
    // The same (conversation, sender, clientId) twice in one batch: stored once, the others replay the first.
    const firstOf = new Map<string, number>();
    const unique: number[] = [];
    const primary = items.map((it, n) => {
      const key = `${it.conversationId}:${it.senderId}:${it.clientId}`;
      const first = firstOf.get(key);
      if (first !== undefined) return first;
      firstOf.set(key, n);
      unique.push(n);
      return n;
    });
    let outcomes: Outcome<BatchSendResult>[] | undefined;
    let oneStatement = true;
    for (let attempt = 1; !outcomes; attempt++) {
      try {
        const batch = unique.map((n) => items[n]!);
        outcomes = await this.d.db.transaction((tx) => (oneStatement ? this.inOne(tx, batch) : this.once(tx, batch)), { local: SEND_BATCH_SETTINGS });
      } catch (err) {
        if (err instanceof RulesDisagree) {
          // Rolled back: the batch goes again the two-statement way, decided by decideSend alone.
          this.d.onDisagree?.(err.message);
          oneStatement = false;
          continue;
        }
        if (!(err instanceof TwinCommitted) || attempt >= 3) throw err;
      }
    }
    const byIndex = new Map(unique.map((n, k) => [n, outcomes![k]!]));
    return items.map((it, n) => {
      const o = byIndex.get(primary[n]!)!;
      if (primary[n] === n || !o.ok) return o;
      const first = o.value;
      if (first.priced) return o;
      return settle((): BatchSendResult => ({ priced: false, row: replayOf(first.row, it), replayed: true, peerId: first.peerId }));
    });
  }

  /**
   * One attempt at the batch in one statement (ChatBatchStore.send), in its transaction; items are
   * unique by (conversation, sender, clientId). Every request is decided again here by decideSend on
   * the state the statement read; a request SQL stored that decideSend refuses, or the other way
   * round, throws RulesDisagree (the transaction rolls back).
   */
  private async inOne(tx: Queryable, items: BatchSendInput[]): Promise<Outcome<BatchSendResult>[]> {
    const inserts = items.map((it) => ({
      id: randomUUID(), conversationId: it.conversationId, senderId: it.senderId, clientId: it.clientId, body: it.body, price: 0,
      attachment: it.attachment ?? null, reply: it.reply ?? null, senderRole: it.senderRole, expectedPrice: it.expectedPrice ?? null,
    }));
    const rows = new Map((await this.d.store.send(tx, inserts)).map((r) => [r.ord - 1, r]));
    return items.map((it, n): Outcome<BatchSendResult> => {
      const r = rows.get(n);
      if (!r || r.peer_id === null) {
        if (r?.inserted) throw new RulesDisagree('a message was stored for a sender who is not a member');
        return { ok: false, error: new AppError('NOT_FOUND', 'no such conversation') };
      }
      const state = r as unknown as SendState;
      const message = r.id === null ? undefined : messageOf(r);
      // A retry (stored before this batch's snapshot) replays whatever the conversation's state is now.
      if (state.existing_id) {
        if (r.inserted || !message) throw new RulesDisagree('a retry was stored again');
        return settle(() => ({ priced: false, row: replayOf(message, it), replayed: true, peerId: state.peer_id }));
      }
      const decided = settle(() => decideSend(state, it.senderRole, it));
      const free = decided.ok && decided.value === 0;
      if (free !== r.free_ok) throw new RulesDisagree(`SQL ${r.free_ok ? 'stored' : 'refused'} a send that decideSend ${free ? 'allows' : 'refuses'}`);
      if (!decided.ok) return decided;
      if (!free) return { ok: true, value: { priced: true } };
      if (!message) throw new TwinCommitted('a clientId of this batch was taken while it ran');
      if (r.inserted) return { ok: true, value: { priced: false, row: message, replayed: false, peerId: state.peer_id } };
      return settle(() => ({ priced: false, row: replayOf(message, it), replayed: true, peerId: state.peer_id }));
    });
  }

  /** One attempt at the batch in two statements (lock, then insert), in its transaction; items are unique by (conversation, sender, clientId). */
  private async once(tx: Queryable, items: BatchSendInput[]): Promise<Outcome<BatchSendResult>[]> {
    const states = new Map((await this.d.store.lock(tx, items)).map((s) => [s.ord - 1, s]));
    const out: Outcome<BatchSendResult>[] = new Array(items.length);
    const toStore: { n: number; insert: BatchInsert; peerId: string }[] = [];
    items.forEach((it, n) => {
      const state = states.get(n);
      if (!state) return void (out[n] = { ok: false, error: new AppError('NOT_FOUND', 'no such conversation') });
      const insert = { id: randomUUID(), conversationId: it.conversationId, senderId: it.senderId, clientId: it.clientId, body: it.body, price: 0, attachment: it.attachment ?? null, reply: it.reply ?? null };
      // A retry (stored before this batch's snapshot) replays whatever the conversation's state is now.
      if (state.existing_id) return void toStore.push({ n, insert, peerId: state.peer_id });
      const decided = settle(() => decideSend(state, it.senderRole, it));
      if (!decided.ok) return void (out[n] = decided);
      if (decided.value > 0) return void (out[n] = { ok: true, value: { priced: true } });
      toStore.push({ n, insert, peerId: state.peer_id });
    });
    if (toStore.length === 0) return out;
    const rows = await this.d.store.insert(tx, toStore.map((s) => s.insert));
    const inserted = new Map(rows.filter((r) => r.inserted).map((r) => [r.id, r]));
    const existing = new Map(rows.filter((r) => !r.inserted).map((r) => [`${r.conversation_id}:${r.sender_id}:${r.client_id}`, r]));
    for (const s of toStore) {
      const mine = inserted.get(s.insert.id);
      if (mine) {
        out[s.n] = { ok: true, value: { priced: false, row: stripFlag(mine), replayed: false, peerId: s.peerId } };
        continue;
      }
      const stored = existing.get(`${s.insert.conversationId}:${s.insert.senderId}:${s.insert.clientId}`);
      if (!stored) throw new TwinCommitted('a clientId of this batch was taken while it ran');
      out[s.n] = settle(() => ({ priced: false, row: replayOf(stripFlag(stored), items[s.n]!), replayed: true, peerId: s.peerId }));
    }
    return out;
  }
}

/**
 * The rules of a new message, on the state read under the conversation's lock; returns its price
 * (0: free). Shared by the batch and the per-message transaction.
 */
export function decideSend(state: SendState, senderRole: string, input: { attachment?: { price: number }; expectedPrice?: number }): number {
  // A random-match session's conversation closes when the session ends.
  if (state.closed_at) throw new AppError('CONVERSATION_CLOSED', 'this conversation has ended');
  if (state.blocked) throw new AppError('BLOCKED', 'you cannot message this user');
  // Who may write to the peer (see peerPolicySql); a random match's conversation is exempt.
  if (state.kind === 'direct') assertPolicyAllows(state);
  // Messages between strangers of a random match are never priced, whoever they are.
  const price = state.kind === 'match' ? 0 : priceFor(senderRole, state.peer_role, state.peer_price);
  if (state.kind === 'match' && (input.attachment?.price ?? 0) > 0) throw new AppError('FORBIDDEN', 'nothing is sold in a random match');
  // A priced message is checked against its shown price where it is charged (the per-message path).
  if (price === 0) assertPriceShown(input.expectedPrice, price);
  return price;
}

/**
 * Refuses a sender the peer's message policy leaves out: MATCH_REQUIRED for a person who takes
 * messages and calls only from their matches, FORBIDDEN (reason message_policy) for a creator who
 * takes them only from followers or subscribers.
 */
export function assertPolicyAllows(p: { peer_policy: MessagePolicy; policy_allows: boolean }): void {
  if (p.policy_allows) return;
  if (p.peer_policy === 'matches') throw new AppError('MATCH_REQUIRED', 'they take messages and calls only from their matches', { details: { policy: 'matches' } });
  throw new AppError('FORBIDDEN', `this creator takes messages only from ${p.peer_policy}`, { details: { reason: 'message_policy', policy: p.peer_policy } });
}

/** A retry gets the original back as it was stored and charged, whatever the price is now; a different message under its clientId is refused. */
export function replayOf(existing: MessageRow, input: { conversationId: string; body: string; attachment?: { mediaId: string; price: number } }): MessageRow {
  const sameAttachment = existing.attachment_id === (input.attachment?.mediaId ?? null) && existing.attachment_price === (input.attachment?.price ?? 0);
  if (existing.conversation_id !== input.conversationId || existing.body !== input.body || !sameAttachment) {
    throw new AppError('IDEMPOTENCY_CONFLICT', 'this clientId was used for a different message');
  }
  return existing;
}

function settle<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

function stripFlag(r: MessageRow & { inserted?: boolean }): MessageRow {
  const { inserted: _, ...row } = r;
  return row;
}
