import type { ConversationPage } from './chat-types.js';

/** Conversations per page of the list (`GET /api/conversations?limit=`). */
export const CONVERSATION_PAGE = 50;

/**
 * A refetch of the list (a message in a conversation it does not show, a reconnect, the window's focus) reads
 * the first page again; the older pages the reader opened ("Show older conversations", chat-list.tsx) stay
 * below it, or the next refresh would take them away again. `shown` is the list as it is when the fetch
 * returns: what it holds beyond the first page, and did not come back in the new one, keeps its order (those
 * a newer conversation pushed off the first page come first: they were newer than the pages below), and the
 * list goes on from where the reader had got to.
 */
export function keepOlderPages(first: ConversationPage, shown: ConversationPage | undefined): ConversationPage {
  if (!shown || !first.nextCursor || shown.conversations.length <= CONVERSATION_PAGE) return first;
  const have = new Set(first.conversations.map((c) => c.id));
  return { conversations: [...first.conversations, ...shown.conversations.filter((c) => !have.has(c.id))], nextCursor: shown.nextCursor };
}
