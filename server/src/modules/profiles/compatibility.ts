/**
 * OkCupid-style match percentage. Each side answers a question, says which
 * answers it accepts from a partner, and how much that matters (0, 1, 10,
 * 50, 250). My satisfaction with you = points you earn / points possible,
 * over the questions we both answered; the match is the geometric mean of
 * both satisfactions. The same arithmetic runs in SQL for discover
 * (profiles.store.ts); this one is for single pairs and the worked examples.
 */
export interface Answer {
  questionId: number;
  answer: number;
  accepted: number[];
  importance: number;
}

export function matchPercent(mine: Answer[], theirs: Answer[]): { percent: number | null; common: number } {
  const byQ = new Map(theirs.map((a) => [a.questionId, a]));
  let myEarned = 0;
  let myPossible = 0;
  let theirEarned = 0;
  let theirPossible = 0;
  let common = 0;
  for (const m of mine) {
    const t = byQ.get(m.questionId);
    if (!t) continue;
    common++;
    myPossible += m.importance;
    if (m.accepted.includes(t.answer)) myEarned += m.importance;
    theirPossible += t.importance;
    if (t.accepted.includes(m.answer)) theirEarned += t.importance;
  }
  // A side that marked every common question irrelevant has no opinion: no percentage yet.
  if (common === 0 || myPossible === 0 || theirPossible === 0) return { percent: null, common };
  return { percent: Math.round(100 * Math.sqrt((myEarned / myPossible) * (theirEarned / theirPossible))), common };
}

/** Rounds coordinates to 0.01 degree (about 1.1 km of latitude) before they are stored. */
export function coarse(v: number): number {
  return Math.round(v * 100) / 100;
}
