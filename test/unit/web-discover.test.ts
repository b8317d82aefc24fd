import { describe, expect, it } from 'vitest';
import { DISTANCE_BAND_EDGES_KM } from '../../shared/profiles.js';
import {
  addInterests,
  avatarGradient,
  callPriceText,
  distanceText,
  firstUnanswered,
  initials,
  matchText,
  messagePriceText,
  parseCoordinates,
  queueOf,
  withoutCandidate,
  type Candidate,
  type DiscoverPage,
  type Question,
} from '../../web/src/lib/profile-format.js';

/** The words and queue logic of the profile pages (web/src/lib/profile-format.ts). */

const candidate = (userId: string, displayName = userId): Candidate => ({
  userId,
  photos: [],
  avatar: null,
  cover: null,
  displayName,
  role: 'fan',
  age: 30,
  gender: null,
  bio: '',
  interests: [],
  languages: [],
  messagePrice: 0,
  callPricePerMinute: 0,
  matchPercent: null,
  commonQuestions: 0,
  distanceBand: null,
  score: 0.5,
});

describe('distanceText', () => {
  it('writes every band the server can send', () => {
    // The bands are built from the shared edges exactly as the server does (profiles.service.ts bandOf).
    const bands = [0, 1, 2, 3, 4, 5].map((i) => ({ minKm: i === 0 ? 0 : DISTANCE_BAND_EDGES_KM[i - 1]!, maxKm: DISTANCE_BAND_EDGES_KM[i] ?? null }));
    expect(bands.map(distanceText)).toEqual(['Under 5 km away', '5–10 km away', '10–25 km away', '25–50 km away', '50–100 km away', '100+ km away']);
  });
  it('says nothing without both locations', () => {
    expect(distanceText(null)).toBeNull();
  });
});

describe('matchText', () => {
  it('shows the percentage, or why there is none', () => {
    expect(matchText(87, 3)).toBe('87% match');
    expect(matchText(0, 2)).toBe('0% match');
    expect(matchText(null, 0)).toBe('No questions in common yet');
    expect(matchText(null, 2)).toBe('Match not known yet');
  });
});

describe('avatar', () => {
  it('takes up to two whole characters, upper case', () => {
    expect(initials('Ada Lovelace')).toBe('AL');
    expect(initials('  bea  ')).toBe('B');
    expect(initials('Jean Paul Sartre')).toBe('JP');
    expect(initials('😀 smile')).toBe('😀S');
    expect(initials('')).toBe('?');
  });
  it('gives the same person the same gradient and others different ones', () => {
    const a = avatarGradient('3f1c2f7e-1111-4a4a-9999-000000000001');
    expect(avatarGradient('3f1c2f7e-1111-4a4a-9999-000000000001')).toBe(a);
    const many = new Set(Array.from({ length: 50 }, (_, i) => avatarGradient(`user-${i}`)));
    expect(many.size).toBeGreaterThan(40);
    expect(a).toMatch(/^linear-gradient\(135deg, hsl\(\d+ 62% 42%\), hsl\(\d+ 58% 32%\)\)$/);
  });
});

describe('prices', () => {
  it('shows a message price only when messages cost something', () => {
    expect(messagePriceText(0)).toBeNull();
    expect(messagePriceText(1)).toBe('Messages cost 1 credit');
    expect(messagePriceText(1500)).toBe('Messages cost 1,500 credits');
  });
  it('shows call prices per minute', () => {
    expect(callPriceText(0)).toBe('Free');
    expect(callPriceText(1)).toBe('1 credit/min');
    expect(callPriceText(12)).toBe('12 credits/min');
  });
});

describe('parseCoordinates', () => {
  it('reads what map apps copy', () => {
    expect(parseCoordinates('52.52, 13.405')).toEqual({ lat: 52.52, lng: 13.405 });
    expect(parseCoordinates(' -33.86 151.21 ')).toEqual({ lat: -33.86, lng: 151.21 });
    expect(parseCoordinates('0;0')).toEqual({ lat: 0, lng: 0 });
  });
  it('says what is wrong', () => {
    expect(parseCoordinates('52.52')).toEqual({ error: expect.stringContaining('latitude and longitude') });
    expect(parseCoordinates('north, east')).toEqual({ error: expect.stringContaining('numbers') });
    expect(parseCoordinates('91, 0')).toEqual({ error: 'Latitude goes from -90 to 90' });
    expect(parseCoordinates('0, -181')).toEqual({ error: 'Longitude goes from -180 to 180' });
  });
});

describe('addInterests', () => {
  it('adds what was typed as the server stores it: trimmed, lower case, no repeats', () => {
    expect(addInterests(['jazz'], ' Hiking, JAZZ ,board games,')).toEqual({ interests: ['jazz', 'hiking', 'board games'] });
    expect(addInterests(['jazz'], ' , ')).toEqual({ interests: ['jazz'] });
  });
  it('refuses what the shared schema refuses, naming the tag', () => {
    const r = addInterests([], 'ok, no!way');
    expect(r).toEqual({ error: expect.stringContaining('"no!way"') });
  });
  it('keeps to twenty', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => `tag${i}`);
    expect(addInterests(twenty, 'one more')).toEqual({ error: 'At most 20 interests' });
    expect(addInterests(twenty, 'tag3')).toEqual({ interests: twenty });
  });
});

describe('the discover queue', () => {
  const pages: DiscoverPage[] = [
    { candidates: [candidate('a'), candidate('b')], nextCursor: 'c1' },
    { candidates: [candidate('b'), candidate('c')], nextCursor: null },
  ];
  it('lists each candidate once, in page order', () => {
    expect(queueOf(pages).map((c) => c.userId)).toEqual(['a', 'b', 'c']);
  });
  it('drops a swiped candidate from every page and keeps the cursors', () => {
    const after = withoutCandidate(pages, 'b');
    expect(after.map((p) => p.candidates.map((c) => c.userId))).toEqual([['a'], ['c']]);
    expect(after.map((p) => p.nextCursor)).toEqual(['c1', null]);
    // Pages without the candidate are the same objects (React Query keeps them).
    expect(withoutCandidate(pages, 'a')[1]).toBe(pages[1]);
  });
});

describe('firstUnanswered', () => {
  const q = (id: number, answered: boolean): Question => ({ id, text: `q${id}`, answers: ['Yes', 'No'], mine: answered ? { answer: 0, accepted: [0], importance: 10 } : null });
  it('opens on the first question not answered, looking on from a position and wrapping', () => {
    const list = [q(1, true), q(2, false), q(3, true), q(4, false)];
    expect(firstUnanswered(list)).toBe(1);
    expect(firstUnanswered(list, 2)).toBe(3);
    expect(firstUnanswered(list, 4)).toBe(1);
  });
  it('stays in range when everything is answered or nothing is there', () => {
    expect(firstUnanswered([q(1, true), q(2, true)], 2)).toBe(1);
    expect(firstUnanswered([q(1, true), q(2, true)], 1)).toBe(1);
    expect(firstUnanswered([])).toBe(0);
  });
});
