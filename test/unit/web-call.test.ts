import { describe, expect, it } from 'vitest';
import type { CallMedia, CallView } from '../../shared/calls.js';
import { callReducer, endText, formatDuration, mediaErrorText, minutesStarted, runningCostText, type CallIntent, type CallPhase } from '../../web/src/lib/call-state.js';

/** The call layer's state machine and words (web/src/lib/call-state.ts), without a browser. */

const call = (over: Partial<CallView> = {}): CallView => ({
  id: 'c1',
  callerId: 'fan',
  calleeId: 'creator',
  video: true,
  state: 'ringing',
  pricePerMinute: 12,
  minuteSeconds: 60,
  createdAt: '2025-01-01T00:00:00.000Z',
  answeredAt: null,
  endedAt: null,
  endReason: null,
  minutesBilled: 0,
  creditsBilled: 0,
  ...over,
});
const media: CallMedia = { clientUrl: 'ws://janus.test:8188', roomId: 7, token: 't', iceServers: [] };
const paid: CallIntent = { toUserId: 'creator', displayName: 'Cleo', video: true, pricePerMinute: 12 };
const free: CallIntent = { ...paid, pricePerMinute: 0 };
const idle: CallPhase = { kind: 'idle' };

function run(actions: Parameters<typeof callReducer>[1][], from: CallPhase = idle): CallPhase {
  return actions.reduce(callReducer, from);
}

describe('placing a call', () => {
  it('asks to confirm a paid call at its price, and places a free one at once', () => {
    expect(run([{ type: 'request', intent: paid }])).toEqual({ kind: 'confirm', intent: paid });
    expect(run([{ type: 'request', intent: free }])).toEqual({ kind: 'placing', intent: free });
    expect(run([{ type: 'request', intent: paid }, { type: 'confirm' }])).toEqual({ kind: 'placing', intent: paid });
  });

  it('rings out once invited, and goes active when the callee accepts', () => {
    const out = run([{ type: 'request', intent: free }, { type: 'invited', call: call() }]);
    expect(out).toMatchObject({ kind: 'outgoing', peer: { userId: 'creator', displayName: 'Cleo' } });
    const active = callReducer(out, { type: 'accepted', call: call({ state: 'active' }), media, now: 1000 });
    expect(active).toMatchObject({ kind: 'active', role: 'caller', startedAt: 1000, media });
    // An accept for another call changes nothing.
    expect(callReducer(out, { type: 'accepted', call: call({ id: 'other' }), media, now: 1 })).toBe(out);
  });

  it('PRICE_CHANGED asks again at the new price; other refusals say why, INSUFFICIENT_CREDITS with a wallet link', () => {
    const again = run([{ type: 'request', intent: paid }, { type: 'confirm' }, { type: 'invite-failed', code: 'PRICE_CHANGED', message: 'x', price: 20 }]);
    expect(again).toMatchObject({ kind: 'confirm', intent: { pricePerMinute: 20 }, notice: expect.stringContaining('20 credits per minute') });
    const nowFree = run([{ type: 'request', intent: paid }, { type: 'confirm' }, { type: 'invite-failed', code: 'PRICE_CHANGED', message: 'x', price: 0 }]);
    expect(nowFree).toMatchObject({ kind: 'confirm', intent: { pricePerMinute: 0 }, notice: 'Calling Cleo is free now.' });

    const poor = run([{ type: 'request', intent: paid }, { type: 'confirm' }, { type: 'invite-failed', code: 'INSUFFICIENT_CREDITS', message: 'x' }]);
    expect(poor).toMatchObject({ kind: 'refused', walletLink: true, message: expect.stringContaining('12 credits per minute') });
    const busy = run([{ type: 'request', intent: free }, { type: 'invite-failed', code: 'BUSY', message: 'x' }]);
    expect(busy).toMatchObject({ kind: 'refused', walletLink: false, message: expect.stringContaining('Cleo is in another call') });
    const sfu = run([{ type: 'request', intent: free }, { type: 'invite-failed', code: 'SFU_UNAVAILABLE', message: 'x' }]);
    expect(sfu).toMatchObject({ kind: 'refused', message: 'Calls are unavailable right now. Try again shortly.' });
  });

  it('ignores a new request or a ring while a call is open', () => {
    const out = run([{ type: 'request', intent: free }, { type: 'invited', call: call() }]);
    expect(callReducer(out, { type: 'request', intent: paid })).toBe(out);
    expect(callReducer(out, { type: 'ringing', call: call({ id: 'c2' }), from: { userId: 'x', displayName: 'X' } })).toBe(out);
  });
});

describe('an incoming call', () => {
  const ringing = run([{ type: 'ringing', call: call(), from: { userId: 'fan', displayName: 'Finn' } }]);

  it('rings, accepts, and goes active as the callee', () => {
    expect(ringing).toMatchObject({ kind: 'incoming', accepting: false, peer: { displayName: 'Finn' } });
    const active = run([{ type: 'accepting' }, { type: 'accepted', call: call({ state: 'active' }), media, now: 5 }], ringing);
    expect(active).toMatchObject({ kind: 'active', role: 'callee' });
  });

  it('closes quietly when declined here or answered on another device; says so when the caller cancelled', () => {
    expect(callReducer(ringing, { type: 'ended', call: call({ state: 'ended' }), reason: 'declined', byMe: true })).toEqual({ kind: 'idle' });
    expect(callReducer(ringing, { type: 'elsewhere', callId: 'c1' })).toEqual({ kind: 'idle' });
    expect(callReducer(ringing, { type: 'elsewhere', callId: 'other' })).toBe(ringing);
    expect(callReducer(ringing, { type: 'ended', call: call(), reason: 'cancelled', byMe: false })).toMatchObject({ kind: 'ended', message: 'Finn cancelled the call.' });
  });

  it('a failed accept says why', () => {
    expect(callReducer(ringing, { type: 'accept-failed', message: 'gone' })).toMatchObject({ kind: 'ended', message: 'gone' });
  });
});

describe('the end of a call', () => {
  const active = run([{ type: 'request', intent: paid }, { type: 'confirm' }, { type: 'invited', call: call() }, { type: 'accepted', call: call({ state: 'active' }), media, now: 0 }]);

  it('credits running out says so, with the wallet link for the payer only', () => {
    const ended = callReducer(active, { type: 'ended', call: call({ state: 'ended' }), reason: 'insufficient_credits', byMe: false });
    expect(ended).toMatchObject({ kind: 'ended', message: 'The call ended: credits ran out.', walletLink: true });
    const asCallee = { ...active, role: 'callee' } as CallPhase;
    expect(callReducer(asCallee, { type: 'ended', call: call({ state: 'ended' }), reason: 'insufficient_credits', byMe: false })).toMatchObject({ walletLink: false });
  });

  it('tells who hung up; ignores the end of another call', () => {
    expect(callReducer(active, { type: 'ended', call: call(), reason: 'hangup', byMe: true })).toMatchObject({ message: 'You hung up.' });
    expect(callReducer(active, { type: 'ended', call: call(), reason: 'hangup', byMe: false })).toMatchObject({ message: 'Cleo hung up.' });
    expect(callReducer(active, { type: 'ended', call: call({ id: 'other' }), reason: 'hangup', byMe: false })).toBe(active);
    expect(callReducer(callReducer(active, { type: 'ended', call: call(), reason: 'hangup', byMe: false }), { type: 'dismiss' })).toEqual(idle);
  });

  it('has words for every reason from both sides', () => {
    expect(endText('no_answer', 'caller', 'Cleo', false)).toBe('Cleo did not answer.');
    expect(endText('no_answer', 'callee', 'Finn', false)).toBe('You missed a call from Finn.');
    expect(endText('declined', 'caller', 'Cleo', false)).toBe('Cleo declined the call.');
    expect(endText('media_failure', 'caller', 'Cleo', false)).toContain('video connection failed');
    expect(endText('server_lost', 'callee', 'Finn', false)).toContain('Nothing more was charged');
  });
});

describe('timer and running cost', () => {
  it('formats the duration', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(65_400)).toBe('1:05');
    expect(formatDuration(3_600_000 + 61_000)).toBe('1:01:01');
    expect(formatDuration(-5)).toBe('0:00');
  });

  it('charges each started minute at the agreed price; free shows Free', () => {
    expect(minutesStarted(0)).toBe(1);
    expect(minutesStarted(59_999)).toBe(1);
    expect(minutesStarted(60_000)).toBe(2);
    expect(runningCostText(0, 12)).toBe('12 credits');
    expect(runningCostText(125_000, 12)).toBe('36 credits');
    expect(runningCostText(125_000, 1)).toBe('3 credits');
    expect(runningCostText(10_000, 1)).toBe('1 credit');
    expect(runningCostText(999_999, 0)).toBe('Free');
    // A deployment with shorter minutes (CALL_MINUTE_SECONDS, the call's minuteSeconds) counts by them.
    expect(runningCostText(25_000, 12, 10_000)).toBe('36 credits');
  });
});

describe('media failures in words', () => {
  it('names the cause and what to do', () => {
    expect(mediaErrorText({ name: 'NotAllowedError' })).toContain('needs your camera and microphone');
    expect(mediaErrorText({ name: 'NotFoundError' })).toContain('No camera or microphone');
    expect(mediaErrorText({ name: 'NotReadableError' })).toContain('in use by another app');
    expect(mediaErrorText({ server: 'Lost connection' })).toContain('cannot be reached');
    expect(mediaErrorText('Error connecting to the Janus WebSockets server: Is the server down?')).toContain('cannot be reached');
    expect(mediaErrorText({ ice: 'failed' })).toContain('network');
    expect(mediaErrorText({ videoroomCode: 426 })).toBe('This call has already ended.');
    expect(mediaErrorText({ videoroomCode: 433 })).toContain('not allowed');
    expect(mediaErrorText(undefined)).toBe('The video connection failed. Try again.');
  });
});
