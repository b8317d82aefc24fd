import type { MessageView, PresenceStatus } from '../../../shared/chat.js';
import type { MediaView } from '../../../shared/media.js';
import type { Prices } from '../../../shared/prices.js';

/**
 * One row of GET /api/conversations, as server/src/modules/chat/chat.routes.ts
 * builds it. shared/ has no type for this answer (the route builds it
 * inline), so it is written down here, from shared's pieces; move it to
 * shared/chat.ts when the server takes it up.
 */
export interface ConversationItem {
  id: string;
  kind: 'direct' | 'match';
  /** What a message of mine costs here: the expectedPrice to send (0 in a random-match conversation). */
  messagePrice: number;
  peer: Prices & {
    id: string;
    displayName: string;
    role: string;
    /** Null unless the peer's presence is shared with me. */
    presence: PresenceStatus | null;
    lastSeen: string | null;
    /** Their avatar (or first ready photo) with signed links; null: none, the initials stand for them. */
    photo: MediaView | null;
  };
  lastSeq: number;
  lastMessage: MessageView | null;
  unread: number;
  readSeq: number;
  peerReadSeq: number;
  peerDeliveredSeq: number;
  /** Ended: a random match's session is over, or the pair unmatched. */
  closed: boolean;
}

export interface ConversationPage {
  conversations: ConversationItem[];
  nextCursor: string | null;
}

export interface HistoryPage {
  messages: MessageView[];
  hasMore: boolean;
  next: { before: number } | { after: number } | null;
}
