import { randomUUID } from 'node:crypto';
import type { QueueEntry } from '../../../../server/src/modules/match/match.queue.js';

/** A small seeded generator (mulberry32), so every run and both implementations see the same crowd. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTS = Array.from({ length: 30 }, (_, i) => `topic${i}`);

/**
 * One waiter of a mixed crowd: 45% women, 45% men, 7% non-binary, 3% no gender given;
 * most seek the other binary gender, a quarter anyone, some both or their own; ages 18–55 with
 * ranges of ±5–15 years (1 in 10 picky: ±2); half join with 1–3 interests of 30 (the first ten
 * most common).
 */
export function mixedEntry(r: () => number): QueueEntry {
  const g = r();
  const gender = g < 0.45 ? 'woman' : g < 0.9 ? 'man' : g < 0.97 ? 'nonbinary' : null;
  const s = r();
  let seeks: string[];
  if (gender === 'woman' || gender === 'man') {
    const other = gender === 'woman' ? 'man' : 'woman';
    seeks = s < 0.5 ? [other] : s < 0.75 ? [] : s < 0.9 ? ['man', 'woman'] : [gender];
  } else {
    seeks = s < 0.6 ? [] : ['nonbinary', 'woman'];
  }
  const age = 18 + Math.floor(r() * 38);
  const spread = r() < 0.1 ? 2 : 5 + Math.floor(r() * 11);
  const interests = new Set<string>();
  if (r() < 0.5) {
    const n = 1 + Math.floor(r() * 3);
    for (let i = 0; i < n; i++) interests.add(INTERESTS[r() < 0.6 ? Math.floor(r() * 10) : Math.floor(r() * 30)]!);
  }
  return {
    userId: randomUUID(),
    mode: 'text',
    socketId: 's',
    interests: [...interests],
    gender,
    age,
    seeks,
    ageMin: Math.max(18, age - spread),
    ageMax: age + spread,
    blocked: [],
  };
}

/**
 * A standing waiter: the mixed crowd's ages, ranges and interests, but not a woman (a man, non-binary,
 * other or not given) and seeking only women, 1 in 10 of them picky about age. Standing waiters never
 * fit one another, so 10,000 of them can wait at once, as they do in a busy queue whose arrivals
 * pair with them.
 */
export function standingEntry(r: () => number): QueueEntry {
  const e = mixedEntry(r);
  const g = r();
  return { ...e, gender: g < 0.8 ? 'man' : g < 0.9 ? 'nonbinary' : g < 0.95 ? 'other' : null, seeks: ['woman'] };
}

/** An arrival: a woman of the mixed crowd (her seeks, ages, ranges and interests as mixedEntry draws them). */
export function arrivalEntry(r: () => number): QueueEntry {
  const e = mixedEntry(r);
  const s = r();
  return { ...e, gender: 'woman', seeks: s < 0.5 ? ['man'] : s < 0.75 ? [] : s < 0.9 ? ['man', 'woman'] : ['nonbinary', 'woman'] };
}

/** A waiter nobody can pair (as in the crowd bench's standing queue): seeks only 'other', aged 99 only, is 30. */
export const unpairable = (): QueueEntry => ({
  userId: randomUUID(),
  mode: 'text',
  socketId: 's',
  interests: [],
  gender: 'other',
  age: 30,
  seeks: ['other'],
  ageMin: 99,
  ageMax: 99,
  blocked: [],
});

/** A waiter anyone fits: the probe pair of the pass-cost measurement. */
export const easy = (): QueueEntry => ({ ...unpairable(), gender: 'woman', seeks: [], ageMin: 18, ageMax: 120 });
