import type { QueryClient } from '@tanstack/react-query';
import type { MessageView, Reaction } from '../../../shared/chat.js';
import { emit, type PairlySocket } from './socket.js';
import type { MessageStore } from './message-store.js';
import { noteChange } from './chat-live.js';

/**
 * What the message menu does: react, edit, delete. The ack carries the message as it is now and goes into the
 * store like any change (by changeSeq), so the push that follows, or a sync, changes nothing more.
 */
export interface ActionContext {
  store: MessageStore;
  socket: PairlySocket | null;
  qc: QueryClient;
}

const ref = (m: MessageView) => ({ conversationId: m.conversationId, messageId: m.id });

export async function toggleReaction(ctx: ActionContext, m: MessageView, emoji: Reaction, me: string): Promise<void> {
  const on = !m.reactions.some((r) => r.emoji === emoji && r.userIds.includes(me));
  const r = await emit(ctx.socket, 'chat:react', { ...ref(m), emoji, on });
  apply(ctx, r.message);
}

export async function editMessage(ctx: ActionContext, m: MessageView, body: string): Promise<void> {
  const r = await emit(ctx.socket, 'chat:edit', { ...ref(m), body });
  apply(ctx, r.message);
}

export async function deleteMessage(ctx: ActionContext, m: MessageView, scope: 'me' | 'everyone'): Promise<void> {
  const r = await emit(ctx.socket, 'chat:delete', { ...ref(m), scope });
  if (r.message) apply(ctx, r.message);
  else ctx.store.hide(m.conversationId, m.id);
}

function apply(ctx: ActionContext, m: MessageView): void {
  ctx.store.applyChanges([m]);
  noteChange(ctx.qc, m);
}
