import { describe, expect, it } from 'vitest';
import type { ConversationItem, ConversationPage } from '../../web/src/lib/chat-types.js';
import { CONVERSATION_PAGE, keepOlderPages } from '../../web/src/lib/conversation-pages.js';

/**
 * The chat list read again (a refetch) after the reader opened older pages: those stay below the new
 * first page, in their order, and the list goes on from the reader's cursor.
 */

const row = (id: string, preview = id) => ({ id, preview }) as unknown as ConversationItem;
const ids = (p: ConversationPage) => p.conversations.map((c) => c.id);
const names = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `c${to - i}`);
const page = (list: string[], nextCursor: string | null): ConversationPage => ({ conversations: list.map((id) => row(id)), nextCursor });

describe('keepOlderPages', () => {
  it('keeps the older page below a new first page, the row pushed off that page first, and the reader\'s cursor', () => {
    // Shown: c60..c11 (the first page) and c10..c1 (opened with "Show older"), nothing older.
    const shown = page([...names(11, 60), ...names(1, 10)], null);
    // A new conversation c61 tops the list: the first page is now c61..c12, and c11 is pushed off it.
    const first = page(names(12, 61), 'cursor-of-c12');
    const kept = keepOlderPages(first, shown);
    expect(ids(kept)).toEqual([...names(12, 61), 'c11', ...names(1, 10)]);
    expect(kept.nextCursor).toBeNull();
  });

  it('takes a row that moved up from the new first page, not the stale one below', () => {
    const shown = page([...names(11, 60), ...names(1, 10)], 'older-than-c1');
    const moved = { ...row('c5'), preview: 'new message' } as unknown as ConversationItem;
    const first: ConversationPage = { conversations: [moved, ...page(names(12, 60), null).conversations], nextCursor: 'cursor-of-c12' };
    const kept = keepOlderPages(first, shown);
    expect(ids(kept)).toEqual(['c5', ...names(12, 60), 'c11', 'c10', 'c9', 'c8', 'c7', 'c6', 'c4', 'c3', 'c2', 'c1']);
    expect((kept.conversations[0] as unknown as { preview: string }).preview).toBe('new message');
    expect(kept.nextCursor).toBe('older-than-c1');
  });

  it('is the first page alone when nothing older was opened, or when the whole list fits on one page', () => {
    const first = page(names(1, CONVERSATION_PAGE), 'next');
    expect(keepOlderPages(first, undefined)).toBe(first);
    expect(keepOlderPages(first, page(names(1, CONVERSATION_PAGE), 'next'))).toBe(first);
    const small = page(names(1, 3), null);
    expect(keepOlderPages(small, page([...names(4, 53), ...names(1, 3)], null))).toBe(small);
  });
});
