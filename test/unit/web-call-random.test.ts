import { describe, expect, it } from 'vitest';
import type { MessageView } from '../../shared/chat.js';
import type { MatchFound } from '../../shared/match.js';
import { addInterest, leaveUntilAnswered, matchRefusalText, mergeMessage, normaliseInterest, randomReducer, type RandomPhase } from '../../web/src/lib/random-state.js';

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

describe('leaving', () => {
  class Refused extends Error {
    constructor(readonly code: string, readonly retryAfterSeconds?: number) {
      super(code);
    }
  }
  const run = (answers: Array<Refused | 'ok'>, tries?: number) => {
    const waits: number[] = [];
    let sent = 0;
    const done = leaveUntilAnswered(
      async () => {
        const a = answers[sent++];
        if (a !== 'ok') throw a;
      },
      {
        tries,
        wait: async (ms) => void waits.push(ms),
        code: (err) => (err instanceof Refused ? err.code : ''),
        retryAfterSeconds: (err) => (err instanceof Refused ? err.retryAfterSeconds : undefined),
      },
    );
    return done.then((answered) => ({ answered, sent: () => sent, waits }));
  };

  it('sends a leave lost to a slow server again, waiting longer each time, until it is answered', async () => {
    const r = await run([new Refused('NETWORK'), new Refused('NETWORK'), 'ok']);
    expect(r).toMatchObject({ answered: true, waits: [500, 1000] });
    expect(r.sent()).toBe(3);
  });

  it('waits as long as a rate limit says', async () => {
    const r = await run([new Refused('RATE_LIMITED', 3), 'ok']);
    expect(r).toMatchObject({ answered: true, waits: [3000] });
  });

  it('stops at a refusal that will not change, and after the last try', async () => {
    const refused = await run([new Refused('VALIDATION_FAILED'), 'ok']);
    expect(refused).toMatchObject({ answered: false, waits: [] });
    expect(refused.sent()).toBe(1);
    const lost = await run(Array(10).fill(new Refused('NETWORK')), 3);
    expect(lost).toMatchObject({ answered: false, waits: [500, 1000] });
    expect(lost.sent()).toBe(3);
  });
});
