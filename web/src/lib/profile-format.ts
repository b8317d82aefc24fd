/**
 * Words and pictures for profiles (onboarding, discover, public profile),
 * kept free of the DOM and React so unit tests run them in node.
 */
import { IMPORTANCE, profileBody, type DistanceBand, type PublicProfile, type WhoCanMessage } from '../../../shared/profiles.js';

/** A discover candidate as GET /api/discover returns it. */
export interface Candidate extends PublicProfile {
  matchPercent: number | null;
  commonQuestions: number;
  distanceBand: DistanceBand | null;
  score: number;
}

export interface DiscoverPage {
  candidates: Candidate[];
  nextCursor: string | null;
}

/** "Under 5 km away", "5–10 km away", "100+ km away"; null when either side has no location. */
export function distanceText(band: DistanceBand | null): string | null {
  if (!band) return null;
  if (band.maxKm === null) return `${band.minKm}+ km away`;
  if (band.minKm === 0) return `Under ${band.maxKm} km away`;
  return `${band.minKm}–${band.maxKm} km away`;
}

/** "87% match", or why there is none yet. */
export function matchText(percent: number | null, common: number): string {
  if (percent !== null) return `${percent}% match`;
  return common === 0 ? 'No questions in common yet' : 'Match not known yet';
}

/** Up to two letters for an avatar: "Ada Lovelace" → "AL", "bea" → "B". Whole characters, so emoji stay intact. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.slice(0, 2).map((w) => Array.from(w)[0] ?? '');
  return letters.join('').toUpperCase() || '?';
}

/** FNV-1a, 32 bit: a stable number from a string (the same person gets the same colours everywhere). */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The placeholder picture until there are photos: a two-colour gradient
 * chosen from the user id. Dark enough (lightness ≤ 42%) for white initials.
 */
export function avatarGradient(seed: string): string {
  const h = hash(seed);
  const a = h % 360;
  const b = (a + 40 + ((h >>> 9) % 80)) % 360;
  return `linear-gradient(135deg, hsl(${a} 62% 42%), hsl(${b} 58% 32%))`;
}

export type Importance = (typeof IMPORTANCE)[number];

/** How much an answer matters, in words (the server's 0 | 1 | 10 | 50 | 250). */
export const IMPORTANCE_WORDS: Record<Importance, string> = {
  0: 'Irrelevant',
  1: 'A little',
  10: 'Somewhat',
  50: 'Very',
  250: 'Mandatory',
};

/** "Messages cost 5 credits"; null when messages are free. */
export function messagePriceText(price: number): string | null {
  if (price <= 0) return null;
  return `Messages cost ${price.toLocaleString('en')} credit${price === 1 ? '' : 's'}`;
}

/** "12 credits/min", or "Free". */
export function callPriceText(pricePerMinute: number): string {
  if (pricePerMinute <= 0) return 'Free';
  return `${pricePerMinute.toLocaleString('en')} credit${pricePerMinute === 1 ? '' : 's'}/min`;
}

/**
 * Coordinates typed or pasted by hand ("52.52, 13.405" or "52.52 13.405",
 * as map apps copy them). Returns the point or what is wrong with the text.
 */
export function parseCoordinates(input: string): { lat: number; lng: number } | { error: string } {
  const parts = input
    .trim()
    .split(/[\s,;]+/)
    .filter(Boolean);
  if (parts.length !== 2) return { error: 'Enter latitude and longitude, for example 52.52, 13.40' };
  const [lat, lng] = parts.map(Number) as [number, number];
  if (!Number.isFinite(lat) || !Number.isFinite(lng)) return { error: 'Use numbers, for example 52.52, 13.40' };
  if (lat < -90 || lat > 90) return { error: 'Latitude goes from -90 to 90' };
  if (lng < -180 || lng > 180) return { error: 'Longitude goes from -180 to 180' };
  return { lat, lng };
}

const interestsSchema = profileBody.shape.interests.unwrap();
/** shared/profiles.ts's limit, said in words before the schema would refuse it. */
const MAX_INTERESTS = 20;

/**
 * Adds what was typed into the interests field (commas separate several) to
 * the list, as the server will store them (trimmed, lower case, no repeats).
 * Returns the new list, or the first problem, checked with the shared schema.
 */
export function addInterests(current: string[], typed: string): { interests: string[] } | { error: string } {
  const fresh = typed
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  if (fresh.length === 0) return { interests: current };
  const next = [...new Set([...current, ...fresh])];
  if (next.length > MAX_INTERESTS) return { error: `At most ${MAX_INTERESTS} interests` };
  const r = interestsSchema.safeParse(next);
  if (!r.success) return { error: `"${fresh.find((t) => !interestsSchema.safeParse([t]).success) ?? fresh[0]}": ${r.error.issues[0]?.message ?? 'not valid'}` };
  return { interests: r.data };
}

/** Discover's pages without one candidate (after a like, a pass, or a block), keeping the cursors. */
export function withoutCandidate<P extends DiscoverPage>(pages: P[], userId: string): P[] {
  return pages.map((p) => (p.candidates.some((c) => c.userId === userId) ? { ...p, candidates: p.candidates.filter((c) => c.userId !== userId) } : p));
}

/** Every candidate of the loaded pages once, in order (a later page may repeat one an earlier page showed). */
export function queueOf(pages: DiscoverPage[]): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const p of pages) {
    for (const c of p.candidates) {
      if (seen.has(c.userId)) continue;
      seen.add(c.userId);
      out.push(c);
    }
  }
  return out;
}

/** Language code → its name in English ("de" → "German"), the code itself when unknown. */
export function languageName(code: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** GET /api/users/:id/profile: the public profile with the compatibility between viewer and owner. */
export interface UserProfile extends PublicProfile {
  matchPercent: number | null;
  commonQuestions: number;
  /** Whether I may open a conversation with or call them now (they may take both only from their matches). */
  canMessage: boolean;
}

/** Query keys of the profile pages (discover's pages, one person's public profile). */
export const profileKeys = {
  discover: ['discover'] as const,
  user: (userId: string) => ['users', userId, 'profile'] as const,
  questions: ['questions'] as const,
  matches: ['matches'] as const,
  likes: ['likes'] as const,
};

/** GET/PUT /api/profile: the owner's view, with the stored (already coarse) location and the preferences. */
export interface OwnProfile extends PublicProfile {
  location: { lat: number; lng: number } | null;
  preferences: { seeksGenders: string[]; ageMin: number; ageMax: number; maxDistanceKm: number | null; whoCanMessage: WhoCanMessage };
}

/** A question of GET /api/questions, with the caller's answer when there is one. */
export interface Question {
  id: number;
  text: string;
  answers: string[];
  mine: { answer: number; accepted: number[]; importance: number } | null;
}

/** Two decimals, about 1 km: what the server stores anyway, so the exact position never leaves the device. */
export function coarseCoordinate(v: number): number {
  return Math.round(v * 100) / 100;
}

/** "52.52, 13.4": how a stored location is written back into the coordinates field. */
export function coordinatesText(p: { lat: number; lng: number } | null): string {
  return p ? `${p.lat}, ${p.lng}` : '';
}

/** The question to open on: the first one not answered yet (the first when all are). */
export function firstUnanswered(questions: Question[], from = 0): number {
  for (let i = 0; i < questions.length; i++) {
    const at = (from + i) % questions.length;
    if (!questions[at]!.mine) return at;
  }
  return Math.min(from, Math.max(0, questions.length - 1));
}
