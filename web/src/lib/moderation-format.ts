import type { Place, VerdictReason } from '../../../shared/moderation.js';

/** Admin-facing words for where an item was shown and why it was held. */
const PLACE_TEXT: Record<Place, string> = {
  profile: 'Profile photo',
  creator_post: 'Creator post',
  attachment: 'Message attachment',
  random_snapshot: 'Random video snapshot',
  chat: 'Chat message',
  post: 'Post',
  comment: 'Comment',
  bio: 'Bio',
};

const REASON_TEXT: Record<VerdictReason, string> = {
  nudity: 'nudity',
  suggestive: 'suggestive',
  undecodable: 'unreadable image',
  profanity: 'profanity',
  contact_to_stranger: 'contact details to a stranger',
  repeated: 'same text to many people',
};

export const placeText = (p: Place) => PLACE_TEXT[p] ?? p;
export const reasonsText = (r: VerdictReason[]) => r.map((x) => REASON_TEXT[x] ?? x).join(', ') || 'no reason given';

/** The classifier's scores, highest first, as percentages ("Porn 99.8% · Sexy 0.1% · …"). */
export function scoresText(scores: Record<string, number>): string {
  return Object.entries(scores)
    .sort(([, a], [, b]) => b - a)
    .map(([name, p]) => `${name} ${(p * 100).toFixed(1)}%`)
    .join(' · ');
}
