import { describe, expect, it } from 'vitest';
import type { MessageView } from '../../shared/chat.js';
import type { MatchFound } from '../../shared/match.js';
import { addInterest, matchRefusalText, mergeMessage, normaliseInterest, randomReducer, type RandomPhase } from '../../web/src/lib/random-state.js';

/** The random-match page's state machine, message merging and interest rules (web/src/lib/random-state.ts). */

const found = (sessionId = 's1'): MatchFound => ({
  sessionId,
  mode: 'text',
  conversationId: `conv-${sessionId}`,
  messagesFree: true,
  peer: { userId: 'p', displayName: 'Pat', age: 30, gender: null, interests: ['jazz'], messagePrice: 0, callPricePerMinute: 0, photo: null },
  commonInterests: ['jazz'],
});
const msg = (id: string, seq: number, conversationId = 'conv-s1'): MessageView => ({ id, seq, conversationId, senderId: 'p', clientId: id, body: id, price: 0, attachment: null, createdAt: '2025-01-01T00:00:00Z', replyTo: null, editedAt: null, deleted: false, reactions: [], changeSeq: 0 });
const run = (actions: Parameters<typeof randomReducer>[1][], from: RandomPhase = { kind: 'setup' }) => actions.reduce(randomReducer, from);

describe('a session', () => {
  it('join → waiting → matched, and a match that comes before the ack wins over it', () => {
    expect(run([{ type: 'join', mode: 'text' }, { type: 'joined', mode: 'text', state: 'queued' }])).toEqual({ kind: 'waiting', mode: 'text' });
    const early = run([{ type: 'join', mode: 'text' }, { type: 'found', found: found() }, { type: 'joined', mode: 'text', state: 'queued' }]);
    expect(early).toMatchObject({ kind: 'matched', found: { sessionId: 's1' } });
    expect(run([{ type: 'join', mode: 'text' }, { type: 'joined', mode: 'text', state: 'in_session' }])).toEqual({ kind: 'elsewhere', mode: 'text' });
    expect(run([{ type: 'join', mode: 'video' }, { type: 'join-failed' }])).toEqual({ kind: 'setup' });
  });

  it('keeps the session messages (deduplicated, in order), ignoring other conversations', () => {
    const s = run([{ type: 'join', mode: 'text' }, { type: 'found', found: found() }, { type: 'message', message: msg('b', 2) }, { type: 'message', message: msg('a', 1) }, { type: 'message', message: msg('a', 1) }, { type: 'message', message: msg('x', 1, 'elsewhere') }]);
    expect(s.kind === 'matched' && s.messages.map((m) => m.id)).toEqual(['a', 'b']);
  });

  it('the peer skipping ends it with words; an end for another session changes nothing', () => {
    const matched = run([{ type: 'join', mode: 'text' }, { type: 'found', found: found() }]);
    expect(randomReducer(matched, { type: 'ended', sessionId: 'other', reason: 'skip' })).toBe(matched);
    expect(randomReducer(matched, { type: 'ended', sessionId: 's1', reason: 'skip' })).toMatchObject({ kind: 'ended', message: 'They skipped to someone new. The chat has ended.' });
    expect(randomReducer(matched, { type: 'ended', sessionId: 's1', reason: 'disconnect' })).toMatchObject({ message: expect.stringContaining('lost their connection') });
  });

  it('skipping waits again; a skip refused as too fast returns to the same session', () => {
    const matched = run([{ type: 'join', mode: 'text' }, { type: 'found', found: found() }, { type: 'message', message: msg('a', 1) }]);
    const skipping = randomReducer(matched, { type: 'join', mode: 'text' });
    expect(randomReducer(skipping, { type: 'joined', mode: 'text', state: 'queued' })).toEqual({ kind: 'waiting', mode: 'text' });
    expect(randomReducer(skipping, { type: 'restore', phase: matched })).toBe(matched);
    // The old session's end arriving while the skip is pending is not shown.
    expect(randomReducer(skipping, { type: 'ended', sessionId: 's1', reason: 'skip' })).toBe(skipping);
  });

  it('a match:found after leaving is ignored', () => {
    expect(randomReducer({ kind: 'setup' }, { type: 'found', found: found() })).toEqual({ kind: 'setup' });
  });
});

describe('interests', () => {
  it('takes them as the server will (trimmed, lower case, the allowed characters, 30 at most)', () => {
    expect(normaliseInterest('  Jazz Piano ')).toEqual({ ok: true, value: 'jazz piano' });
    expect(normaliseInterest('sci-fi_2')).toEqual({ ok: true, value: 'sci-fi_2' });
    expect(normaliseInterest('Café')).toEqual({ ok: true, value: 'café' });
    expect(normaliseInterest('   ')).toMatchObject({ ok: false });
    expect(normaliseInterest('c++')).toMatchObject({ ok: false, error: expect.stringContaining('letters, numbers') });
    expect(normaliseInterest('x'.repeat(31))).toMatchObject({ ok: false, error: expect.stringContaining('30') });
  });

  it('no duplicates, at most ten', () => {
    expect(addInterest(['jazz'], 'JAZZ')).toMatchObject({ list: ['jazz'], error: expect.stringContaining('already') });
    const ten = Array.from({ length: 10 }, (_, i) => `i${i}`);
    expect(addInterest(ten, 'more')).toMatchObject({ list: ten, error: 'You can add up to 10 interests.' });
    expect(addInterest([], 'Films')).toEqual({ list: ['films'] });
  });
});

describe('refusals', () => {
  it('says how long to wait after skipping too fast', () => {
    expect(matchRefusalText('RATE_LIMITED', 12, 'skip')).toBe('You are skipping too fast. You can skip again in 12 seconds.');
    expect(matchRefusalText('RATE_LIMITED', 90, 'join')).toBe('Too many tries. You can start again in 2 minutes.');
    expect(matchRefusalText('SFU_UNAVAILABLE', undefined, 'join')).toContain('Video chat is unavailable');
    expect(matchRefusalText('NOT_FOUND', undefined, 'skip')).toContain('Start again');
    expect(matchRefusalText('INTERNAL', undefined, 'join')).toBeNull();
  });

  it('merges a message once', () => {
    const one = mergeMessage([], msg('a', 1));
    expect(mergeMessage(one, msg('a', 1))).toBe(one);
  });
});
