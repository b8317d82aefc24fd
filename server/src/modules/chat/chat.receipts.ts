import type { Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { Batcher, type BatcherOptions, type Outcome } from '../../batcher.js';
import type { BatchReceipt, ChatBatchStore, ReceiptRow } from './chat.batch.store.js';

/**
 * Delivered and read receipts, coalesced: the receipts a node receives within a short window are
 * merged per member (the highest pointer wins: a client confirms up to a sequence number, so the
 * highest covers the others) and written by one statement; each member's peer is told once per
 * window. Every receipt is answered with its member's pointers after the write.
 */

export interface ReceiptInput {
  userId: string;
  conversationId: string;
  upToSeq: number;
  read: boolean;
  socketId?: string;
}

/** A member's pointers after the batch, and what its receipts were (so the pushes say the same). */
export interface Advanced {
  row: ReceiptRow;
  delivered: boolean;
  read: boolean;
  /** The socket of the reads, when they all came from one (its own push is left out). */
  readSocketId: string | undefined;
}

export class ReceiptBatch {
  private readonly batcher: Batcher<ReceiptInput, ReceiptRow>;

  constructor(
    private readonly d: { db: Queryable; store: ChatBatchStore; onAdvanced: (a: Advanced) => void },
    o: BatcherOptions = {},
  ) {
    // A member's receipts are never in two running batches: those would wait on each other's row lock.
    this.batcher = new Batcher((items) => this.flush(items), { ...o, keys: (i) => [`${i.conversationId}:${i.userId}`] });
  }

  submit(input: ReceiptInput): Promise<ReceiptRow> {
    return this.batcher.submit(input);
  }

  private async flush(items: ReceiptInput[]): Promise<Outcome<ReceiptRow>[]> {
    const merged = new Map<string, BatchReceipt & { delivered: boolean; read: boolean; readSockets: Set<string | undefined> }>();
    for (const it of items) {
      const key = `${it.conversationId}:${it.userId}`;
      const m = merged.get(key) ?? { conversationId: it.conversationId, userId: it.userId, deliveredTo: 0, readTo: null, delivered: false, read: false, readSockets: new Set() };
      m.deliveredTo = Math.max(m.deliveredTo, it.upToSeq);
      if (it.read) {
        m.readTo = Math.max(m.readTo ?? 0, it.upToSeq);
        m.read = true;
        m.readSockets.add(it.socketId);
      } else m.delivered = true;
      merged.set(key, m);
    }
    const rows = await this.d.store.advance(this.d.db, [...merged.values()]);
    const byKey = new Map(rows.map((r) => [`${r.conversation_id}:${r.user_id}`, r]));
    for (const [key, m] of merged) {
      const row = byKey.get(key);
      if (!row) continue;
      const [only] = m.readSockets;
      this.d.onAdvanced({ row, delivered: m.delivered, read: m.read, readSocketId: m.readSockets.size === 1 ? only : undefined });
    }
    return items.map((it) => {
      const row = byKey.get(`${it.conversationId}:${it.userId}`);
      return row ? { ok: true, value: row } : { ok: false, error: new AppError('NOT_FOUND', 'no such conversation') };
    });
  }
}
