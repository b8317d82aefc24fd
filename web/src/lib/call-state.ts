/**
 * The call layer's logic, free of React and the DOM (unit tested in node):
 * the phases of one call on this device, what each server push does to
 * them, and the words a person reads (why a call ended, why media failed,
 * what it costs so far).
 */
import type { CallEndReason, CallMedia, CallView } from '../../../shared/calls.js';

/**
 * A call a page asked for: lib/call-intent.ts's CallIntent (that file uses
 * `window`, so it is not imported here, where node runs the unit tests).
 */
export interface CallIntent {
  toUserId: string;
  displayName: string;
  video: boolean;
  /** The per-minute price the page showed (0: free); sent as expectedPrice. */
  pricePerMinute: number;
}

export type RoomStatus = 'connecting' | 'waiting' | 'connected' | 'failed' | 'closed';

export interface Peer {
  userId: string;
  displayName: string;
}

export type CallPhase =
  | { kind: 'idle' }
  /** A paid call: the price is shown and the person confirms (or a refusal asks again at a new price). */
  | { kind: 'confirm'; intent: CallIntent; notice?: string }
  /** call:invite sent, no answer yet. */
  | { kind: 'placing'; intent: CallIntent }
  | { kind: 'outgoing'; call: CallView; peer: Peer }
  | { kind: 'incoming'; call: CallView; peer: Peer; accepting: boolean }
  | { kind: 'active'; call: CallView; peer: Peer; media: CallMedia; role: 'caller' | 'callee'; startedAt: number }
  | { kind: 'ended'; call: CallView | null; peer: Peer; message: string; role: 'caller' | 'callee'; walletLink: boolean }
  /** A refusal before any call existed (BUSY, INSUFFICIENT_CREDITS, ...). */
  | { kind: 'refused'; intent: CallIntent; message: string; walletLink: boolean };

export type CallAction =
  | { type: 'request'; intent: CallIntent }
  | { type: 'confirm' }
  | { type: 'invited'; call: CallView }
  | { type: 'invite-failed'; code: string; message: string; price?: number }
  | { type: 'ringing'; call: CallView; from: Peer }
  | { type: 'accepting' }
  | { type: 'accept-failed'; message: string }
  | { type: 'accepted'; call: CallView; media: CallMedia; now: number }
  | { type: 'ended'; call: CallView; reason: CallEndReason; byMe: boolean }
  | { type: 'elsewhere'; callId: string }
  | { type: 'dismiss' };

const callId = (p: CallPhase): string | null => ('call' in p && p.call ? p.call.id : null);

/** A phase that owns the screen: a new request or an incoming ring is not taken while one is open. */
export function isBusy(p: CallPhase): boolean {
  return p.kind !== 'idle' && p.kind !== 'ended' && p.kind !== 'refused';
}

export function callReducer(state: CallPhase, action: CallAction): CallPhase {
  switch (action.type) {
    case 'request': {
      if (isBusy(state)) return state;
      const { intent } = action;
      return intent.pricePerMinute > 0 ? { kind: 'confirm', intent } : { kind: 'placing', intent };
    }
    case 'confirm':
      return state.kind === 'confirm' ? { kind: 'placing', intent: state.intent } : state;
    case 'invited':
      if (state.kind !== 'placing') return state;
      return { kind: 'outgoing', call: action.call, peer: { userId: state.intent.toUserId, displayName: state.intent.displayName } };
    case 'invite-failed': {
      if (state.kind !== 'placing') return state;
      const { intent } = state;
      if (action.code === 'PRICE_CHANGED' && action.price !== undefined) {
        const next = { ...intent, pricePerMinute: action.price };
        const notice = action.price > 0 ? `The price changed: calling ${intent.displayName} now costs ${credits(action.price)} per minute.` : `Calling ${intent.displayName} is free now.`;
        return { kind: 'confirm', intent: next, notice };
      }
      return { kind: 'refused', intent, message: inviteRefusalText(action.code, intent, action.message), walletLink: action.code === 'INSUFFICIENT_CREDITS' };
    }
    case 'ringing':
      // One call at a time: the server refuses a second (BUSY); a stale ring for a call already open is ignored.
      if (isBusy(state)) return state;
      return { kind: 'incoming', call: action.call, peer: action.from, accepting: false };
    case 'accepting':
      return state.kind === 'incoming' ? { ...state, accepting: true } : state;
    case 'accept-failed':
      if (state.kind !== 'incoming') return state;
      return { kind: 'ended', call: state.call, peer: state.peer, role: 'callee', message: action.message, walletLink: false };
    case 'accepted': {
      if (state.kind === 'outgoing' && state.call.id === action.call.id) {
        return { kind: 'active', call: action.call, peer: state.peer, media: action.media, role: 'caller', startedAt: action.now };
      }
      if (state.kind === 'incoming' && state.call.id === action.call.id) {
        return { kind: 'active', call: action.call, peer: state.peer, media: action.media, role: 'callee', startedAt: action.now };
      }
      return state;
    }
    case 'ended': {
      if (callId(state) !== action.call.id) return state;
      if (state.kind !== 'outgoing' && state.kind !== 'incoming' && state.kind !== 'active') return state;
      const role = state.kind === 'outgoing' ? 'caller' : state.kind === 'incoming' ? 'callee' : state.role;
      // Declining a ring or cancelling one's own call needs no "call ended" notice.
      if (action.byMe && (action.reason === 'declined' || action.reason === 'cancelled')) return { kind: 'idle' };
      return {
        kind: 'ended',
        call: action.call,
        peer: state.peer,
        role,
        message: endText(action.reason, role, state.peer.displayName, action.byMe),
        walletLink: action.reason === 'insufficient_credits' && role === 'caller' && action.call.pricePerMinute > 0,
      };
    }
    case 'elsewhere':
      if (callId(state) !== action.callId) return state;
      return { kind: 'idle' };
    case 'dismiss':
      return state.kind === 'ended' || state.kind === 'refused' || state.kind === 'confirm' ? { kind: 'idle' } : state;
  }
}

export function credits(n: number): string {
  return `${n.toLocaleString('en')} credit${n === 1 ? '' : 's'}`;
}

/** What a caller reads when the server refused to place the call. */
export function inviteRefusalText(code: string, intent: CallIntent, fallback: string): string {
  switch (code) {
    case 'INSUFFICIENT_CREDITS':
      return `You do not have enough credits to call ${intent.displayName}: a call costs ${credits(intent.pricePerMinute)} per minute. Buy credits and try again.`;
    case 'BUSY':
      return `${intent.displayName} is in another call (or you are). Try again in a little while.`;
    case 'SFU_UNAVAILABLE':
      return 'Calls are unavailable right now. Try again shortly.';
    case 'BLOCKED':
      return `You cannot call ${intent.displayName}.`;
    case 'NOT_FOUND':
      return `${intent.displayName} cannot be called: the account is not available.`;
    case 'RATE_LIMITED':
      return 'You are calling too often. Wait a moment and try again.';
    default:
      return fallback;
  }
}

/** Why the call ended, from this person's side. */
export function endText(reason: CallEndReason, role: 'caller' | 'callee', peerName: string, byMe: boolean): string {
  switch (reason) {
    case 'hangup':
      return byMe ? 'You hung up.' : `${peerName} hung up.`;
    case 'declined':
      return role === 'caller' ? `${peerName} declined the call.` : 'You declined the call.';
    case 'cancelled':
      return role === 'callee' ? `${peerName} cancelled the call.` : 'You cancelled the call.';
    case 'no_answer':
      return role === 'caller' ? `${peerName} did not answer.` : `You missed a call from ${peerName}.`;
    case 'insufficient_credits':
      return role === 'caller' ? 'The call ended: credits ran out.' : `The call ended: ${peerName}’s credits ran out.`;
    case 'media_failure':
      return 'The call ended: the video connection failed.';
    case 'server_lost':
      return 'The call ended: Pairly lost track of the call. Nothing more was charged.';
  }
}

/** "m:ss" (or "h:mm:ss") of a call that started at `startedAt`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Pairly bills per started minute (the first is held as the call connects); a minute is the call's `minuteSeconds` (60 in production). */
export const MINUTE_MS = 60_000;

/** Minutes started so far (1 from the moment the call connects). */
export function minutesStarted(elapsedMs: number, minuteMs = MINUTE_MS): number {
  return Math.floor(Math.max(0, elapsedMs) / minuteMs) + 1;
}

/** The running cost shown in the call: minutes started × the agreed price; "Free" when the price is 0. */
export function runningCostText(elapsedMs: number, pricePerMinute: number, minuteMs = MINUTE_MS): string {
  if (pricePerMinute <= 0) return 'Free';
  return credits(minutesStarted(elapsedMs, minuteMs) * pricePerMinute);
}

/** Plain words for a media failure (getUserMedia, Janus, ICE): what happened and what to do. */
export function mediaErrorText(err: unknown): string {
  const e = err as { name?: string; message?: string; videoroomCode?: number; ice?: string; server?: unknown; unsupported?: boolean } | string | null | undefined;
  if (typeof e === 'string') {
    if (/server|connect|websocket|network/i.test(e)) return 'The video server cannot be reached. Check your connection and try again.';
    return 'The video connection failed. Try again.';
  }
  if (!e) return 'The video connection failed. Try again.';
  if (e.unsupported) return 'This browser cannot make video calls. Try a recent Chrome, Firefox, Edge or Safari.';
  if (e.ice === 'failed') return 'The video connection failed: your network may be blocking it. Try another network.';
  if (e.server !== undefined) return 'The video server cannot be reached. Check your connection and try again.';
  if (e.videoroomCode !== undefined) {
    // 426: no such room (the call or match ended and its room is gone); 433: not allowed in it.
    if (e.videoroomCode === 426) return 'This call has already ended.';
    if (e.videoroomCode === 433) return 'You are not allowed to join this call.';
    return 'The video server refused to join the call. Try again.';
  }
  switch (e.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Pairly needs your camera and microphone. Allow them in your browser’s site settings and try again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera or microphone was found. Connect one and try again.';
    case 'NotReadableError':
    case 'AbortError':
      return 'Your camera or microphone is in use by another app. Close it and try again.';
  }
  return 'The video connection failed. Try again.';
}
