import { useId, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { PostView } from '../../../shared/posts.js';
import { creatorKeys, useCreators, usePosts } from '../lib/creators-queries.js';
import { CreatorCardView } from '../components/creator-card.js';
import { PostList, type PostAuthor } from '../components/post-card.js';
import { Empty, ErrorNote, Loading, PageTitle } from '../components/ui.js';
import './creators.css';

/** How many creators the search shows above the posts; the creators page has the rest, with filters. */
const CREATORS_SHOWN = 6;

/**
 * /search?q=: creators (GET /api/creators?q=, best match first) and posts (GET /api/search/posts), for one
 * text kept in the address so that a search can be shared, bookmarked and gone back to.
 */
export default function Search() {
  const [params, setParams] = useSearchParams();
  const text = (params.get('q') ?? '').trim().slice(0, 100);
  const [draft, setDraft] = useState(text);
  const inputId = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const q = draft.trim();
    setParams(q ? { q } : {});
  };
  return (
    <section className="page search">
      <PageTitle>Search</PageTitle>
      <form role="search" className="card search-form" onSubmit={submit}>
        <label htmlFor={inputId} className="visually-hidden">
          Search creators and posts
        </label>
        <input id={inputId} type="search" maxLength={100} value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="A creator, a handle, or words in a post" />
        <button type="submit" className="btn btn-primary">
          Search
        </button>
      </form>
      {text ? (
        <>
          <CreatorResults text={text} />
          <PostResults text={text} />
        </>
      ) : (
        <Empty title="Search for creators and posts.">
          <p>Names and handles forgive typos; posts are found by their words, among those you can read.</p>
        </Empty>
      )}
    </section>
  );
}

function CreatorResults({ text }: { text: string }) {
  const list = useCreators({ text, tags: '', minPrice: '', maxPrice: '', freeTrial: false, sort: 'relevance' });
  const creators = (list.data?.pages[0]?.creators ?? []).slice(0, CREATORS_SHOWN);
  return (
    <section aria-labelledby="search-creators">
      <h2 id="search-creators">Creators</h2>
      {list.isPending ? (
        <Loading label="Searching creators" />
      ) : list.isError ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : creators.length === 0 ? (
        <p className="state state-empty">No creators match “{text}”.</p>
      ) : (
        <ul className="creator-grid" aria-label="Creators found">
          {creators.map((c) => (
            <li key={c.userId}>
              <CreatorCardView creator={c} />
            </li>
          ))}
        </ul>
      )}
      <p>
        <Link to="/creators">Browse all creators with filters</Link>
      </p>
    </section>
  );
}

function PostResults({ text }: { text: string }) {
  const posts = usePosts(creatorKeys.search(text), `/api/search/posts?q=${encodeURIComponent(text)}`);
  const authorOf = (p: PostView): PostAuthor => ({ name: p.creator.displayName, handle: p.creator.handle });
  return (
    <section aria-labelledby="search-posts">
      <h2 id="search-posts">Posts</h2>
      <PostList query={posts} authorOf={authorOf} empty={`No posts you can read match “${text}”.`} />
    </section>
  );
}
