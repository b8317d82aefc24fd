import type { Place, Verdict, VerdictReason } from '../../../../shared/moderation.js';
import type { ModerationConfig } from '../../config.js';
import type { ImageScores } from './image.classifier.js';

export type ImagePlace = Extract<Place, 'profile' | 'creator_post' | 'attachment' | 'random_snapshot'>;

export interface Decision {
  verdict: Verdict;
  reasons: VerdictReason[];
}

/**
 * What an image's scores mean where it is shown. Nudity (Porn + Hentai at the block threshold) is refused
 * where strangers see it without asking: profile photos (the dating side) and random-match snapshots.
 * Creator posts sit behind the 18+ gate and are allowed. Attachments are allowed from creators (paid adult
 * content is their trade) and quarantined from anyone else until an admin looks. A profile photo in the
 * band below (or scored Sexy) is quarantined: shown to its owner only until an admin decides.
 */
export function imageDecision(place: ImagePlace, scores: ImageScores | 'undecodable', t: Omit<ModerationConfig, 'repeat'>, owner: { creator: boolean }): Decision {
  if (scores === 'undecodable') return { verdict: 'block', reasons: ['undecodable'] };
  const nudity = scores.Porn + scores.Hentai;
  const nude = nudity >= t.nudityBlock;
  const suggestive = !nude && (nudity >= t.nudityReview || scores.Sexy >= t.sexyReview);
  switch (place) {
    case 'profile':
      if (nude) return { verdict: 'block', reasons: ['nudity'] };
      return suggestive ? { verdict: 'quarantine', reasons: ['suggestive'] } : { verdict: 'allow', reasons: [] };
    case 'random_snapshot':
      return nude ? { verdict: 'block', reasons: ['nudity'] } : { verdict: 'allow', reasons: [] };
    case 'creator_post':
      return { verdict: 'allow', reasons: nude ? ['nudity'] : [] };
    case 'attachment':
      if (!nude) return { verdict: 'allow', reasons: [] };
      return { verdict: owner.creator ? 'allow' : 'quarantine', reasons: ['nudity'] };
  }
}
