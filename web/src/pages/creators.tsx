import { useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import type { CreatorCard } from '../../../shared/creators.js';
import { audienceText, credits, type CreatorFilters } from '../lib/creators-format.js';
import { useCreators } from '../lib/creators-queries.js';
import { AvatarPhoto } from '../components/media.js';
import { Empty, ErrorNote, Loading, PageTitle } from '../components/ui.js';
import './creators.css';

const START: CreatorFilters = { tags: '', minPrice: '', maxPrice: '', freeTrial: false, sort: 'popular' };

/** GET /api/creators: filters (tags, price range, free trial), sort, and "Load more" by the server's cursor. */
export default function Creators() {
  const [draft, setDraft] = useState(START);
  const [filters, setFilters] = useState(START);
  const list = useCreators(filters);
  const ids = { tags: useId(), min: useId(), max: useId(), sort: useId() };
  const creators = list.data?.pages.flatMap((p) => p.creators) ?? [];
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters(draft);
  };

  return (
    <section className="page creators">
      <PageTitle>Creators</PageTitle>
      <form className="card creators-filters" onSubmit={apply} aria-label="Filter creators">
        <div className="field">
          <label htmlFor={ids.tags}>Tags</label>
          <input id={ids.tags} value={draft.tags} onChange={(e) => setDraft({ ...draft, tags: e.target.value })} placeholder="music, art" />
        </div>
        <div className="field">
          <label htmlFor={ids.min}>Price from (credits a month)</label>
          <input id={ids.min} type="number" min={0} inputMode="numeric" value={draft.minPrice} onChange={(e) => setDraft({ ...draft, minPrice: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor={ids.max}>Price up to (credits a month)</label>
          <input id={ids.max} type="number" min={0} inputMode="numeric" value={draft.maxPrice} onChange={(e) => setDraft({ ...draft, maxPrice: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor={ids.sort}>Sort</label>
          <select id={ids.sort} value={draft.sort} onChange={(e) => setDraft({ ...draft, sort: e.target.value as CreatorFilters['sort'] })}>
            <option value="popular">Popular</option>
            <option value="new">New</option>
          </select>
        </div>
        <label className="radio">
          <input type="checkbox" checked={draft.freeTrial} onChange={(e) => setDraft({ ...draft, freeTrial: e.target.checked })} /> With a free trial
        </label>
        <button type="submit" className="btn btn-primary">
          Show creators
        </button>
      </form>
      {list.isPending ? (
        <Loading label="Loading creators" />
      ) : list.isError && creators.length === 0 ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : creators.length === 0 ? (
        <Empty title="No creators match.">
          <p>Try fewer tags or a wider price range.</p>
        </Empty>
      ) : (
        <>
          <ul className="creator-grid" aria-label="Creators">
            {creators.map((c) => (
              <li key={c.userId}>
                <CreatorCardView creator={c} />
              </li>
            ))}
          </ul>
          {list.hasNextPage && (
            <button type="button" className="btn btn-secondary more" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
              {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
            </button>
          )}
        </>
      )}
    </section>
  );
}

function CreatorCardView({ creator: c }: { creator: CreatorCard }) {
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
