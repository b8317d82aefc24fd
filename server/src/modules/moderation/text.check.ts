import { createHash } from 'node:crypto';
import { RegExpMatcher, TextCensor, asteriskCensorStrategy, englishDataset, englishRecommendedTransformers } from 'obscenity';

/**
 * Text checks: pure functions, no I/O, cheap enough for every chat message
 * (a few microseconds for a typical message; see BENCHMARKS.md "Moderation").
 * Profanity and slurs come from obscenity's English dataset with its
 * recommended transformers (leetspeak, confusable characters, repeated
 * letters; "f u c k" spelled out with spaces is not caught); the contact
 * rules from two regexes.
 */

const matcher = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
const censor = new TextCensor().setStrategy(asteriskCensorStrategy());

/**
 * What the fast path reads of obscenity's matcher (0.4.x; not in its typings). `hasMatch` runs each of
 * the dataset's 119 term regexes with `matchAll`, which copies the regex every call: ~30 µs a message
 * whatever its length, the largest part of a chat send's moderation (BENCHMARKS.md). Every term's regex,
 * joined into one alternation, finds out in one pass over the same transformed text whether any term
 * occurs at all; only then is the whitelist consulted, by obscenity itself. So the answer is obscenity's
 * (test/unit/moderation-text-fast.test.ts compares both on generated and known texts).
 */
interface MatcherInternals {
  blacklistedTerms: { regExp: RegExp }[];
  blacklistMatcherTransformers: unknown;
  applyTransformers(input: string, transformers: unknown): [number[], string];
}
const internals = matcher as unknown as MatcherInternals;
const anyTerm = new RegExp(internals.blacklistedTerms.map((t) => `(?:${t.regExp.source})`).join('|'), 's');

/** True when no blacklisted term occurs in the text at all (whitelisted or not): certainly clean. */
export function clearlyClean(text: string): boolean {
  const [, transformed] = internals.applyTransformers(text, internals.blacklistMatcherTransformers);
  return !anyTerm.test(transformed);
}

export interface ProfanityResult {
  /** The text with each matched word replaced by asterisks (the same text when nothing matched). */
  masked: string;
  /** How many words were matched. */
  hits: number;
}

export function profanity(text: string): ProfanityResult {
  if (clearlyClean(text) || !matcher.hasMatch(text)) return { masked: text, hits: 0 };
  const matches = matcher.getAllMatches(text, true);
  return { masked: censor.applyTo(text, matches), hits: matches.length };
}

// A URL with a scheme or www., or a bare host under a common top-level domain (also "site dot com").
const LINK = /\b(?:https?:\/\/|www\.)\S|\b[a-z0-9-]{2,}\s*(?:\.|\(dot\)|\[dot\]|\sdot\s)\s*(?:com|net|org|io|me|co|app|ly|gg|link|xyz|info|biz|ru|tk|site|online|top|cc|to)\b/i;
// Seven or more digits with only spaces, dots, dashes, brackets or a leading + between them; dates
// (12.05.2025, 2025-05-12) are taken out first, as they would read as one.
const PHONE = /(?:\+\s*)?\d(?:[\s().-]{0,2}\d){6,}/;
const DATE = /\b(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}[./-]\d{1,2}[./-]\d{1,2})\b/g;

/** Which contact details a text carries: a first message to a stranger may carry none. */
export function contactDetails(text: string): ('link' | 'phone')[] {
  const found: ('link' | 'phone')[] = [];
  if (LINK.test(text)) found.push('link');
  if (PHONE.test(text.replace(DATE, ' '))) found.push('phone');
  return found;
}

/** Shorter normalised texts ("hi", "hello there") are sent to many people by everyone: not counted as repeats. */
export const REPEAT_MIN_LENGTH = 16;

/**
 * A fingerprint of what a text says, for counting the same text sent to many: case, accents, spacing,
 * punctuation and emoji do not change it. Undefined for short texts.
 */
export function repeatKey(text: string): string | undefined {
  const normal = text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
  if (normal.length < REPEAT_MIN_LENGTH) return undefined;
  return createHash('sha1').update(normal).digest('base64url');
}
