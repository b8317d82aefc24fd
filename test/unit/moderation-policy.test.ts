import { describe, expect, it } from 'vitest';
import { imageDecision } from '../../server/src/modules/moderation/policy.js';
import { contactDetails, profanity, repeatKey } from '../../server/src/modules/moderation/text.check.js';

const T = { nudityBlock: 0.7, nudityReview: 0.4, sexyReview: 0.85 };
const scores = (s: Partial<Record<'Drawing' | 'Hentai' | 'Neutral' | 'Porn' | 'Sexy', number>>) => ({ Drawing: 0, Hentai: 0, Neutral: 0, Porn: 0, Sexy: 0, ...s });

describe('image policy per place', () => {
  const nude = scores({ Porn: 0.5, Hentai: 0.25 });
  const suggestive = scores({ Porn: 0.45 });
  const sexy = scores({ Sexy: 0.9 });
  const plain = scores({ Neutral: 0.95 });

  it('refuses nudity where strangers see it without asking, and quarantines the band below in profiles', () => {
    expect(imageDecision('profile', nude, T, { creator: false })).toEqual({ verdict: 'block', reasons: ['nudity'] });
    expect(imageDecision('profile', suggestive, T, { creator: false })).toEqual({ verdict: 'quarantine', reasons: ['suggestive'] });
    expect(imageDecision('profile', sexy, T, { creator: true })).toEqual({ verdict: 'quarantine', reasons: ['suggestive'] });
    expect(imageDecision('profile', plain, T, { creator: false })).toEqual({ verdict: 'allow', reasons: [] });
    expect(imageDecision('random_snapshot', nude, T, { creator: false })).toEqual({ verdict: 'block', reasons: ['nudity'] });
    expect(imageDecision('random_snapshot', suggestive, T, { creator: false })).toEqual({ verdict: 'allow', reasons: [] });
  });

  it('allows nudity behind the 18+ gate and in creators\' attachments; quarantines it in anyone else\'s', () => {
    expect(imageDecision('creator_post', nude, T, { creator: true })).toEqual({ verdict: 'allow', reasons: ['nudity'] });
    expect(imageDecision('attachment', nude, T, { creator: true })).toEqual({ verdict: 'allow', reasons: ['nudity'] });
    expect(imageDecision('attachment', nude, T, { creator: false })).toEqual({ verdict: 'quarantine', reasons: ['nudity'] });
    expect(imageDecision('attachment', sexy, T, { creator: false })).toEqual({ verdict: 'allow', reasons: [] });
  });

  it('blocks what could not be decoded, wherever it is', () => {
    for (const place of ['profile', 'creator_post', 'attachment', 'random_snapshot'] as const) {
      expect(imageDecision(place, 'undecodable', T, { creator: true })).toEqual({ verdict: 'block', reasons: ['undecodable'] });
    }
  });
});

describe('text checks', () => {
  it('mask profanity, leetspeak included, and leave clean text (and place names that contain a word) alone', () => {
    expect(profanity('you are a fucking legend')).toEqual({ masked: 'you are a ****ing legend', hits: 1 });
    expect(profanity('sh1t happens').masked).toBe('**** happens');
    expect(profanity('Scunthorpe is a town')).toEqual({ masked: 'Scunthorpe is a town', hits: 0 });
  });

  it('find links and phone numbers, spelled out or not, and not prices or dates', () => {
    expect(contactDetails('visit www.example.com')).toEqual(['link']);
    expect(contactDetails('my site is example dot com')).toEqual(['link']);
    expect(contactDetails('https://x.y')).toEqual(['link']);
    expect(contactDetails('call +44 7700 900123')).toEqual(['phone']);
    expect(contactDetails('(555) 123-4567')).toEqual(['phone']);
    expect(contactDetails('it cost 1000 credits on 12.05.2025, see you at 7.30')).toEqual([]);
    expect(contactDetails('booked for 2025-05-12 and 2025-06-01')).toEqual([]);
    expect(contactDetails('555.123.4567')).toEqual(['phone']);
  });

  it('fingerprint a text whatever its case, accents, spacing and punctuation; short texts are not counted', () => {
    const k = repeatKey('Earn 500 credits a day, just ask me how!');
    expect(k).toBeDefined();
    expect(repeatKey('EARN 500 credits a day — just ask me how')).toBe(k);
    expect(repeatKey('Éarn 500 crédits a day, just ask me how')).toBe(k);
    expect(repeatKey('Earn 600 credits a day, just ask me how!')).not.toBe(k);
    expect(repeatKey('hi there!')).toBeUndefined();
  });
});
