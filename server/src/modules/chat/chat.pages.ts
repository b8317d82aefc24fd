import { z } from 'zod';
import { AppError } from '../../errors.js';

/**
 * Pages of messages are bounded in bytes as well as in count: a page stops
 * before the message that would take its JSON past the budget (but always
 * holds at least one message, so paging moves on), and says hasMore.
 */
export function fitPage<T>(items: T[], limit: number, maxBytes: number): T[] {
  let bytes = 0;
  let n = 0;
  for (; n < items.length && n < limit; n++) {
    // +1 for the comma between array elements.
    const size = Buffer.byteLength(JSON.stringify(items[n])) + 1;
    if (n > 0 && bytes + size > maxBytes) break;
    bytes += size;
  }
  return items.slice(0, n);
}

/**
 * Where a sync page ended: the last message's (created_at, conversation, seq),
 * the order sync reads in. created_at keeps PostgreSQL's microseconds (a JS
 * Date would round them away and repeat or skip messages of the same
 * millisecond). Opaque to clients: base64url of a JSON triple.
 */
export interface SyncKey {
  at: string;
  conversationId: string;
  seq: number;
}

const syncKey = z.tuple([z.iso.datetime({ precision: 6 }), z.uuid(), z.number().int().positive()]);

export function encodeSyncCursor(k: SyncKey): string {
  return Buffer.from(JSON.stringify([k.at, k.conversationId, k.seq])).toString('base64url');
}

export function decodeSyncCursor(cursor: string): SyncKey {
  try {
    const [at, conversationId, seq] = syncKey.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { at, conversationId, seq };
  } catch {
    throw new AppError('VALIDATION_FAILED', 'cursor is not valid: pass back the `next` of an earlier chat:sync');
  }
}
