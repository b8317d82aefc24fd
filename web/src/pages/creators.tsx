import { useId, useState, type FormEvent } from 'react';
import type { CreatorFilters } from '../lib/creators-format.js';
import { useCreators } from '../lib/creators-queries.js';
import { CreatorCardView } from '../components/creator-card.js';
import { Empty, ErrorNote, Loading, PageTitle } from '../components/ui.js';
import './creators.css';

const START: CreatorFilters = { text: '', tags: '', minPrice: '', maxPrice: '', freeTrial: false, sort: 'relevance' };

/** GET /api/creators: a search text, filters (tags, price range, free trial), sort, and "Load more" by the server's cursor. */
export default function Creators() {
  const [draft, setDraft] = useState(START);
  const [filters, setFilters] = useState(START);
  const list = useCreators(filters);
  const ids = { text: useId(), tags: useId(), min: useId(), max: useId(), sort: useId() };
  const searching = draft.text.trim() !== '';
  const creators = list.data?.pages.flatMap((p) => p.creators) ?? [];
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters(draft);
  };

  return (
    <section className="page creators">
      <PageTitle>Creators</PageTitle>
      <form className="card creators-filters" onSubmit={apply} aria-label="Filter creators">
        <div className="field creators-search">
          <label htmlFor={ids.text}>Search</label>
          <input id={ids.text} type="search" maxLength={100} value={draft.text} onChange={(e) => setDraft({ ...draft, text: e.target.value })} placeholder="A name, a handle or what they do" />
        </div>
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
          <select id={ids.sort} value={draft.sort === 'relevance' && !searching ? 'popular' : draft.sort} onChange={(e) => setDraft({ ...draft, sort: e.target.value as CreatorFilters['sort'] })}>
            <option value="relevance" disabled={!searching}>
              Best match
            </option>
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
          <p>{filters.text.trim() ? 'Try other words, or fewer filters.' : 'Try fewer tags or a wider price range.'}</p>
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
