import { describe, expect, it } from 'vitest';
import { ApiError } from '../../web/src/lib/api.js';
import { errorText } from '../../web/src/lib/error-text.js';
import { placeText, reasonsText, scoresText } from '../../web/src/lib/moderation-format.js';
import { endedText } from '../../web/src/lib/random-state.js';

/** The web app's words for moderation: the admin queue's lines, refused texts, a session ended for nudity. */
describe('moderation words', () => {
  it('list the classifier scores highest first, as percentages', () => {
    expect(scoresText({ Neutral: 0.0003, Porn: 0.9981, Sexy: 0.0011 })).toBe('Porn 99.8% · Sexy 0.1% · Neutral 0.0%');
    expect(scoresText({})).toBe('');
  });

  it('name places and reasons, and do not hide ones this client does not know', () => {
    expect(placeText('attachment')).toBe('Message attachment');
    expect(reasonsText(['nudity', 'suggestive'])).toBe('nudity, suggestive');
    expect(reasonsText([])).toBe('no reason given');
    expect(reasonsText(['brand_new' as never])).toBe('brand_new');
  });

  it('say why a text was refused, by its reason', () => {
    const refused = (reason: string) => new ApiError('TEXT_REFUSED', 'refused', 422, { reason });
    expect(errorText(refused('contact_to_stranger'))).toBe('No links or phone numbers in a first message: wait until they reply.');
    expect(errorText(refused('repeated'))).toMatch(/same message to too many people/);
    expect(errorText(refused('profanity'))).toBe('Some of those words are not allowed here. Reword it and try again.');
  });

  it('tell both sides of a random session why it ended for nudity, without saying who', () => {
    expect(endedText('nudity')).toMatch(/^The chat ended: our safety check saw nudity on camera/);
  });
});
