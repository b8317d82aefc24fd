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
    limit: z.number().int().min(1).max(500).default(200),
  })
  .refine((v) => v.since === undefined || v.cursor === undefined, 'give since or cursor, not both');

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
}

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
