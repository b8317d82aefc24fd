import { z } from 'zod';
import { expectedPrice } from './prices.js';
import { text } from './input.js';

export const MAX_MESSAGE_LENGTH = 4000;

/** The most a pay-to-view attachment may cost, in credits. */
export const MAX_ATTACHMENT_PRICE = 100_000;

/**
 * A photo or video sent with a message: a media item of the sender's, kind message_attachment, processed (ready).
 * `price` > 0 makes it pay-to-view (creators only): the recipient sees a blurred preview until they unlock it.
 */
export const attachmentInput = z.strictObject({
  mediaId: z.uuid(),
  price: z.number().int().min(0).max(MAX_ATTACHMENT_PRICE).default(0),
});

export const chatSend = z
  .strictObject({
    conversationId: z.uuid().optional(),
    toUserId: z.uuid().optional(),
    clientId: z.uuid(),
    /** The text; may be empty when the message carries an attachment (a photo without a caption). */
    body: text().max(MAX_MESSAGE_LENGTH).default(''),
    attachment: attachmentInput.optional(),
    /** The message price the client showed (absent: free); any other price is refused with PRICE_CHANGED. */
    expectedPrice,
    /** A message of the same conversation this one answers (quoted with a short excerpt). */
    replyTo: z.uuid().optional(),
  })
  .refine((v) => (v.conversationId === undefined) !== (v.toUserId === undefined), 'give exactly one of conversationId or toUserId')
  .refine((v) => v.body.trim().length > 0 || v.attachment !== undefined, { message: 'must not be blank', path: ['body'] });

/** POST /api/messages/:id/unlock: pay to see a message's attachment, at the price the client showed. */
export const unlockBody = z.strictObject({ expectedPrice });

export const chatPointer = z.strictObject({
  conversationId: z.uuid(),
  upToSeq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});

export const chatTyping = z.strictObject({ conversationId: z.uuid(), typing: z.boolean() });

export const chatSync = z
  .strictObject({
    /** ISO time of the newest message the client has; omitted: the last 24 hours. */
    since: z.iso.datetime().optional(),
    /** The `next` of the previous page, to continue a sync that said hasMore. */
    cursor: z.string().min(1).max(200).optional(),
    /** The `changesNext` of an earlier page, to go on through changes when it said changesHasMore. */
    changesCursor: z.string().min(1).max(200).optional(),
    limit: z.number().int().min(1).max(500).default(200),
  })
  .refine((v) => [v.since, v.cursor, v.changesCursor].filter((x) => x !== undefined).length <= 1, 'give at most one of since, cursor and changesCursor');

/** POST /api/conversations: opens (or returns) the direct conversation with a user. */
export const openConversationBody = z.strictObject({ userId: z.uuid() });

export const presenceSet = z.strictObject({ status: z.enum(['online', 'away']) });

export const reportBody = z.strictObject({ reason: text().trim().min(1).max(1000) });

/** One entry of GET /api/blocks: someone the caller blocked. */
export interface BlockView {
  userId: string;
  displayName: string;
  createdAt: string;
}

export const historyQuery = z.strictObject({
  before: z.coerce.number().int().positive().optional(),
  after: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export interface MessageView {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientId: string;
  body: string;
  /** What the sender paid to send it. */
  price: number;
  /**
   * A photo or video: fetch its view (signed URLs) with GET /api/media/:mediaId. `price` > 0: pay-to-view; the
   * recipient's view is `locked` (a blurred preview) until they unlock it with POST /api/messages/:id/unlock.
   */
  attachment: MessageAttachment | null;
  createdAt: string;
  /** The message this one answers: its id, sender and an excerpt copied when this was sent (kept if it is deleted). */
  replyTo: MessageReply | null;
  /** When the sender last edited the text (null: never). */
  editedAt: string | null;
  /** Deleted for everyone: a tombstone (empty body, no attachment) that keeps its seq. */
  deleted: boolean;
  reactions: MessageReaction[];
  /**
   * The conversation's change sequence at this message's latest change (0: never changed since sent). Every
   * reaction, edit or delete takes the next one; a client keeps the view with the highest changeSeq per message.
   */
  changeSeq: number;
}

export interface MessageReply {
  messageId: string;
  senderId: string;
  excerpt: string;
}

export interface MessageReaction {
  emoji: Reaction;
  count: number;
  userIds: string[];
}

/** The emoji a message can be reacted with. */
export const REACTIONS = ['❤️', '😂', '😮', '😢', '👍', '🔥'] as const;
export type Reaction = (typeof REACTIONS)[number];

/** How long a reply's excerpt of the quoted message is, at most. */
export const REPLY_EXCERPT_LENGTH = 120;

const messageRef = { conversationId: z.uuid(), messageId: z.uuid() };

/** chat:react: add (on, the default) or remove one's reaction; adding the same one twice is one reaction. */
export const chatReact = z.strictObject({ ...messageRef, emoji: z.enum(REACTIONS), on: z.boolean().default(true) });

/** chat:edit: the sender replaces a message's text within CHAT_EDIT_WINDOW_SECONDS; its price and attachment never change. */
export const chatEdit = z.strictObject({ ...messageRef, body: text().max(MAX_MESSAGE_LENGTH).refine((b) => b.trim().length > 0, 'must not be blank') });

/**
 * chat:delete: `me` hides the message from the caller's own history; `everyone` (the sender, within
 * CHAT_DELETE_WINDOW_SECONDS) removes its body for both, leaving a tombstone. Nothing paid is refunded.
 */
export const chatDelete = z.strictObject({ ...messageRef, scope: z.enum(['me', 'everyone']) });

/** GET /api/messages/search: full text over the caller's conversations (or one of them). */
export const messageSearchQuery = z.strictObject({
  q: text().trim().min(1).max(200),
  conversationId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

export interface MessageAttachment {
  mediaId: string;
  price: number;
}

export type PresenceStatus = 'online' | 'away' | 'offline';

export interface PresenceView {
  userId: string;
  status: PresenceStatus;
  lastSeen: string | null;
}
