import type { MessageView, Reaction } from '../../../../shared/chat.js';
import type { Database, Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { ChatChangesStore, ChangeState } from './chat.changes.store.js';
import { toMessageView, type MessageRow } from './chat.store.js';

export interface MessageRef {
  conversationId: string;
  messageId: string;
}

/**
 * A text about to be stored (a new message, or an edit as a new message would be): answers the text to store
 * (profanity masked) or throws an AppError to refuse it. `ref` names the attempt in a refusal's evidence (the
 * new message's clientId, the edited message's id).
 */
export type TextModeration = (m: { userId: string; conversationId: string; body: string; ref: string }) => Promise<string>;

/**
 * What happens to a message after it is sent: reactions, edits, deletes. Each is one transaction under the
 * message's row lock, numbered by the conversation's change sequence in its last statement (see
 * ChatChangesStore), and pushed after the commit to both members' devices on every node as `chat:changed`
 * (the whole message view: applying it twice, or an older one after a newer one, changes nothing).
 * A repeat that changes nothing is answered with the message as it is and pushes nothing.
 * Money: an edit or delete never touches the price the sender paid nor an unlock a viewer paid: deleting a
 * paid message refunds nothing.
 */
export class ChatChanges {
  constructor(
    private readonly d: {
      db: Database;
      store: ChatChangesStore;
      realtime: Realtime;
      editWindowSeconds: number;
      deleteWindowSeconds: number;
      moderate?: TextModeration;
      /** A deleted message's attachment, which nobody but its owner reaches any more: moderation stops waiting on it. */
      attachmentGone?: (mediaId: string) => Promise<unknown>;
    },
  ) {}

  async react(userId: string, ref: MessageRef & { emoji: Reaction; on: boolean }, socketId?: string): Promise<{ message: MessageView; changed: boolean }> {
    return this.change(userId, ref, socketId, async (tx, s) => {
      if (s.deleted) throw new AppError('MESSAGE_DELETED', 'this message was deleted');
      if (s.closed) throw new AppError('CONVERSATION_CLOSED', 'this conversation has ended');
      if (s.blocked) throw new AppError('BLOCKED', 'you cannot message this user');
      if (!(await this.d.store.setReaction(tx, ref.conversationId, ref.messageId, userId, ref.emoji, ref.on))) return undefined;
      return this.d.store.reactionsChanged(tx, ref.conversationId, ref.messageId);
    });
  }

  async edit(userId: string, ref: MessageRef & { body: string }, socketId?: string): Promise<{ message: MessageView; changed: boolean }> {
    // The same step a new message would pass, before anything is locked.
    if (this.d.moderate) ref = { ...ref, body: await this.d.moderate({ userId, conversationId: ref.conversationId, body: ref.body, ref: ref.messageId }) };
    return this.change(userId, ref, socketId, async (tx, s) => {
      if (s.sender_id !== userId) throw new AppError('FORBIDDEN', 'you can only edit your own messages');
      if (s.deleted) throw new AppError('MESSAGE_DELETED', 'this message was deleted');
      if (s.closed) throw new AppError('CONVERSATION_CLOSED', 'this conversation has ended');
      if (s.blocked) throw new AppError('BLOCKED', 'you cannot message this user');
      // A retry of an edit that was stored: nothing more to keep.
      if (s.body === ref.body) return undefined;
      if (s.age_seconds > this.d.editWindowSeconds) {
        throw new AppError('EDIT_WINDOW_CLOSED', `a message can be edited for ${this.d.editWindowSeconds} seconds after sending`, { details: { windowSeconds: this.d.editWindowSeconds } });
      }
      return this.d.store.edit(tx, ref.conversationId, ref.messageId, ref.body);
    });
  }

  /**
   * `everyone`: the sender's own message within the window, a tombstone for both (allowed across a block or in
   * an ended conversation: taking one's words back is always possible within the window). `me`: any message of
   * a conversation the user is in, hidden from their own history and sync; pushed to their other devices.
   * Either twice is MESSAGE_DELETED.
   */
  async delete(userId: string, ref: MessageRef & { scope: 'me' | 'everyone' }, socketId?: string): Promise<{ scope: 'me' | 'everyone'; message: MessageView | null }> {
    if (ref.scope === 'everyone') {
      let attachmentId: string | null = null;
      const r = await this.change(userId, ref, socketId, async (tx, s) => {
        if (s.sender_id !== userId) throw new AppError('FORBIDDEN', 'you can only delete your own messages for everyone');
        if (s.deleted) throw new AppError('MESSAGE_DELETED', 'this message was deleted already');
        if (s.age_seconds > this.d.deleteWindowSeconds) {
          throw new AppError('DELETE_WINDOW_CLOSED', `a message can be deleted for everyone for ${this.d.deleteWindowSeconds} seconds after sending`, {
            details: { windowSeconds: this.d.deleteWindowSeconds },
          });
        }
        attachmentId = s.attachment_id;
        return this.d.store.deleteForEveryone(tx, ref.conversationId, ref.messageId);
      });
      if (attachmentId) await this.d.attachmentGone?.(attachmentId);
      return { scope: 'everyone', message: r.message };
    }
    await this.d.db.transaction(async (tx) => {
      if (!(await this.d.store.lockMessage(tx, ref.conversationId, ref.messageId, userId))) throw new AppError('NOT_FOUND', 'no such message in this conversation');
      if (!(await this.d.store.hide(tx, userId, ref.conversationId, ref.messageId))) throw new AppError('MESSAGE_DELETED', 'you deleted this message already');
    });
    this.d.realtime.toUsers([userId], 'chat:hidden', { conversationId: ref.conversationId, messageId: ref.messageId }, socketId ? { exceptSocketId: socketId } : {});
    return { scope: 'me', message: null };
  }

  /**
   * Trust and safety removes a reported message: a tombstone for both, whatever its age (no window: this is not
   * the sender taking words back). Done as its sender, whose membership the lock needs. Twice changes nothing.
   */
  async removeAsModerator(ref: MessageRef & { senderId: string }): Promise<void> {
    let attachmentId: string | null = null;
    await this.change(ref.senderId, ref, undefined, async (tx, s) => {
      if (s.deleted) return undefined;
      attachmentId = s.attachment_id;
      return this.d.store.deleteForEveryone(tx, ref.conversationId, ref.messageId);
    });
    if (attachmentId) await this.d.attachmentGone?.(attachmentId);
  }

  /** One change: lock, decide, write (or undefined: nothing to change), commit, then push. */
  private async change(
    userId: string,
    ref: MessageRef,
    socketId: string | undefined,
    decide: (tx: Queryable, s: ChangeState) => Promise<MessageRow | undefined>,
  ): Promise<{ message: MessageView; changed: boolean }> {
    const result = await this.d.db.transaction(async (tx) => {
      const s = await this.d.store.lockMessage(tx, ref.conversationId, ref.messageId, userId);
      if (!s) throw new AppError('NOT_FOUND', 'no such message in this conversation');
      const row = await decide(tx, s);
      if (row) return { row, changed: true, peerId: s.peer_id };
      const current = (await this.d.store.message(tx, ref.conversationId, ref.messageId))!;
      return { row: current, changed: false, peerId: s.peer_id };
    });
    const message = toMessageView(result.row);
    if (result.changed) this.d.realtime.toUsers([result.peerId, userId], 'chat:changed', message, socketId ? { exceptSocketId: socketId } : {});
    return { message, changed: result.changed };
  }
}
