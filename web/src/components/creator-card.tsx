import { Link } from 'react-router';
import type { CreatorCard } from '../../../shared/creators.js';
import { audienceText, credits } from '../lib/creators-format.js';
import { AvatarPhoto } from './media.js';

/** A creator in a listing or a search's results: their name, handle, audience, cheapest tier and tags, linking to their page. */
export function CreatorCardView({ creator: c }: { creator: CreatorCard }) {
  return (
    <Link to={`/c/${c.handle}`} className="card creator-card">
      <span className="creator-avatar" aria-hidden="true">
        {c.displayName.slice(0, 1).toUpperCase()}
        <AvatarPhoto media={c.avatar} px={56} />
      </span>
      <span className="creator-card-main">
        <span className="creator-name">{c.displayName}</span>
        <span className="hint">@{c.handle}</span>
        <span className="creator-counts">
          {audienceText(c)}
        </span>
        <span className="creator-price">
          {c.lowestPrice === null ? 'No tiers yet' : `From ${credits(c.lowestPrice)} a month`}
          {c.hasFreeTrial && ' · Free trial'}
        </span>
        {c.tags.length > 0 && <span className="creator-tags">{c.tags.map((t) => `#${t}`).join(' ')}</span>}
      </span>
    </Link>
  );
}
