/**
 * The random-match page's logic, free of React and the DOM (unit tested in
 * node): the phases of a session on this device, the session's messages
 * (ack and live push merged by id), the interests a person may join with
 * (shared/match.ts's schema), and the words for how a session ended.
 */
import { matchJoin, type MatchEndReason, type MatchFound, type MatchMode } from '../../../shared/match.js';
import type { MessageView } from '../../../shared/chat.js';

export const MAX_INTERESTS = 10;

export type RandomPhase =
  | { kind: 'setup' }
  /** match:join (or match:next) sent, no answer yet. */
  | { kind: 'joining'; mode: MatchMode }
  | { kind: 'waiting'; mode: MatchMode }
  /** Already in a session from another device (match:join answered in_session). */
  | { kind: 'elsewhere'; mode: MatchMode }
  | { kind: 'matched'; found: MatchFound; messages: MessageView[] }
  | { kind: 'ended'; found: MatchFound; messages: MessageView[]; message: string };

export type RandomAction =
  | { type: 'join'; mode: MatchMode }
  | { type: 'joined'; mode: MatchMode; state: 'queued' | 'in_session' }
  | { type: 'join-failed' }
  | { type: 'found'; found: MatchFound }
  | { type: 'message'; message: MessageView }
  | { type: 'ended'; sessionId: string; reason: MatchEndReason | 'connection' }
  | { type: 'left' }
  /** A skip refused before anything ended (too fast): back to the session as it was. */
  | { type: 'restore'; phase: RandomPhase };

export function randomReducer(state: RandomPhase, action: RandomAction): RandomPhase {
  switch (action.type) {
    case 'join':
      return { kind: 'joining', mode: action.mode };
    case 'joined':
      // Only the answer to the join still pending counts: a match:found may have come first.
      if (state.kind !== 'joining') return state;
      return action.state === 'queued' ? { kind: 'waiting', mode: action.mode } : { kind: 'elsewhere', mode: action.mode };
    case 'join-failed':
      return state.kind === 'joining' ? { kind: 'setup' } : state;
    case 'found':
      // A match can arrive before the join's ack (the pairing runs at once): joining counts as waiting.
      if (state.kind === 'matched' && state.found.sessionId === action.found.sessionId) return state;
      if (state.kind === 'setup') return state;
      return { kind: 'matched', found: action.found, messages: [] };
    case 'message': {
      if (state.kind !== 'matched' && state.kind !== 'ended') return state;
      if (action.message.conversationId !== state.found.conversationId) return state;
      return { ...state, messages: mergeMessage(state.messages, action.message) };
    }
    case 'ended':
      // A match:ended for a session this device never saw (or one already over) changes nothing.
      if (state.kind !== 'matched' || state.found.sessionId !== action.sessionId) return state;
      return { kind: 'ended', found: state.found, messages: state.messages, message: endedText(action.reason) };
    case 'left':
      return { kind: 'setup' };
    case 'restore':
      return state.kind === 'joining' ? action.phase : state;
  }
}

/** Adds a message once (the send's ack and the live push carry the same id), in sequence order. */
export function mergeMessage(list: MessageView[], m: MessageView): MessageView[] {
  if (list.some((x) => x.id === m.id)) return list;
  const next = [...list, m];
  next.sort((a, b) => a.seq - b.seq);
  return next;
}

/** How the session ended, as the one who stayed reads it. */
export function endedText(reason: MatchEndReason | 'connection'): string {
  switch (reason) {
    case 'skip':
      return 'They skipped to someone new. The chat has ended.';
    case 'leave':
      return 'They left the chat.';
    case 'disconnect':
      return 'They lost their connection. The chat has ended.';
    case 'blocked':
      return 'The chat has ended.';
    case 'nudity':
      // Both sides get this one: neutral about who it was.
      return 'The chat ended: our safety check saw nudity on camera. Nudity is not allowed in random chats.';
    case 'connection':
      return 'Your connection dropped, so the chat ended.';
  }
}

/**
 * One interest as the server will take it (trimmed, lower case, letters,
 * digits, spaces, _ and -, at most 30 characters), or why not.
 */
export function normaliseInterest(raw: string): { ok: true; value: string } | { ok: false; error: string } {
  const value = raw.trim().toLowerCase();
  if (!value) return { ok: false, error: 'Type an interest first.' };
  if (value.length > 30) return { ok: false, error: 'An interest can be at most 30 characters.' };
  const parsed = matchJoin.safeParse({ mode: 'text', interests: [value] });
  if (!parsed.success) return { ok: false, error: 'Use letters, numbers, spaces, - and _ only.' };
  return { ok: true, value: parsed.data.interests![0]! };
}

/** Adds an interest to the list (no duplicates, at most ten), or says why it cannot. */
export function addInterest(list: string[], raw: string): { list: string[]; error?: string } {
  const r = normaliseInterest(raw);
  if (!r.ok) return { list, error: r.error };
  if (list.includes(r.value)) return { list, error: `“${r.value}” is already in your list.` };
  if (list.length >= MAX_INTERESTS) return { list, error: `You can add up to ${MAX_INTERESTS} interests.` };
  return { list: [...list, r.value] };
}

/** What a refused match:join / match:next says, by code (RATE_LIMITED carries the wait). */
export function matchRefusalText(code: string, retryAfterSeconds: number | undefined, action: 'join' | 'skip'): string | null {
  if (code === 'RATE_LIMITED') {
    const wait = retryAfterSeconds && retryAfterSeconds > 0 ? waitWords(Math.ceil(retryAfterSeconds)) : 'a moment';
    return action === 'skip' ? `You are skipping too fast. You can skip again in ${wait}.` : `Too many tries. You can start again in ${wait}.`;
  }
  if (code === 'SFU_UNAVAILABLE') return 'Video chat is unavailable right now. Try text, or try again shortly.';
  if (code === 'NOT_FOUND' && action === 'skip') return 'You were no longer in the queue. Start again.';
  return null;
}

export function waitWords(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const m = Math.ceil(seconds / 60);
  return `${m} minute${m === 1 ? '' : 's'}`;
}

/** Error codes after which the same leave, sent again a little later, can still succeed. */
const LEAVE_RETRYABLE = new Set(['NETWORK', 'RATE_LIMITED', 'NOT_READY', 'SHUTTING_DOWN', 'INTERNAL']);

/**
 * Sends `match:leave` until the server has answered it. The page shows
 * "Start" as soon as Leave is pressed, but the stranger is told only when
 * the server ends the session: a leave lost to a slow server (no ack in
 * time) or refused for a moment (RATE_LIMITED, NOT_READY) is sent again,
 * after the wait the refusal gave or a doubling one, at most `tries` times.
 * A refusal that will not change (VALIDATION_FAILED, ...) stops it. Resolves
 * with whether the server answered; it never rejects.
 */
export async function leaveUntilAnswered(
  send: () => Promise<unknown>,
  opts: { wait: (ms: number) => Promise<void>; tries?: number; code: (err: unknown) => string; retryAfterSeconds: (err: unknown) => number | undefined },
): Promise<boolean> {
  const tries = opts.tries ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return true;
    } catch (err) {
      if (attempt >= tries || !LEAVE_RETRYABLE.has(opts.code(err))) return false;
      const after = opts.retryAfterSeconds(err);
      await opts.wait(after ? after * 1000 : 500 * 2 ** (attempt - 1));
    }
  }
}
