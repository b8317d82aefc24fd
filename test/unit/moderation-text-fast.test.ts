import fc from 'fast-check';
import { RegExpMatcher, TextCensor, asteriskCensorStrategy, englishDataset, englishRecommendedTransformers } from 'obscenity';
import { describe, expect, it } from 'vitest';
import { clearlyClean, profanity } from '../../server/src/modules/moderation/text.check.js';

/** obscenity used plainly, as text.check.ts did before its fast path. */
const reference = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
const censor = new TextCensor().setStrategy(asteriskCensorStrategy());
function referenceProfanity(text: string) {
  if (!reference.hasMatch(text)) return { masked: text, hits: 0 };
  const matches = reference.getAllMatches(text, true);
  return { masked: censor.applyTo(text, matches), hits: matches.length };
}

// Words the dataset blacklists, spelled as people dodge filters, and words it whitelists around them.
const known = [
  'fuck', 'fUcK', 'f u c k', 'fuuuuuck', 'fvck', 'phuck', 'sh1t', 'shitty', '$hit', 'b1tch', 'bitch', 'a$$hole', 'asshole',
  'dick', 'd1ck', 'c0ck', 'cunt', 'whore', 'wh0re', 'n1gger', 'nigga', 'fag', 'f@ggot', 'retard', 'r3tard', 'slut', 'pussy',
  'bastard', 'twat', 'wank', 'cum', 'dildo', 'penis', 'vagina', 'boob', 'tits', 't1ts', 'porn', 'p0rn', 'sex', 'xxx',
  'assassin', 'class', 'classic', 'scunthorpe', 'cocktail', 'peacock', 'shitake', 'therapist', 'analysis', 'button', 'hancock',
  'dickens', 'titanic', 'cumbersome', 'document', 'grape', 'pass', 'bass', 'hello', 'hi', 'coffee later?', '👋 hey', 'naïve café',
];

const textOf = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.array(fc.constantFrom(...known, ' ', '.', '!', '1', '@', '$', 'a', 'e', 'o', 'ss'), { maxLength: 12 }).map((parts) => parts.join('')),
  fc.array(fc.constantFrom(...known), { minLength: 1, maxLength: 5 }).map((words) => words.join(' ')),
);

describe("profanity's fast path", () => {
  it('answers exactly as obscenity does, on known words and their disguises', () => {
    for (const a of known) {
      for (const text of [a, `so ${a} today`, `${a}${a}`, a.toUpperCase(), `x${a}x`]) {
        expect(profanity(text), text).toEqual(referenceProfanity(text));
      }
    }
  });

  it('answers exactly as obscenity does on generated texts, and calls nothing clean that obscenity matches', () => {
    fc.assert(
      fc.property(textOf, (text) => {
        if (clearlyClean(text)) expect(reference.hasMatch(text), text).toBe(false);
        expect(profanity(text)).toEqual(referenceProfanity(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('finds some of the known words dirty (the comparison is not between two always-clean answers)', () => {
    const dirty = known.filter((w) => profanity(w).hits > 0);
    expect(dirty.length).toBeGreaterThan(20);
    expect(known.filter((w) => !clearlyClean(w)).length).toBeGreaterThanOrEqual(dirty.length);
  });
});
