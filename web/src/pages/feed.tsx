import { Link } from 'react-router';
import type { PostView } from '../../../shared/posts.js';
import { subscriptionNotice } from '../lib/creators-format.js';
import { creatorKeys, usePosts, useSubscriptions } from '../lib/creators-queries.js';
import { PostList, type PostAuthor } from '../components/post-card.js';
import { PageTitle } from '../components/ui.js';
import './creators.css';

/** /feed (posts of the creators I follow or subscribe to) and /bookmarks (the same list, my bookmarks). */
export default function Feed({ bookmarks = false }: { bookmarks?: boolean }) {
  const posts = usePosts(bookmarks ? creatorKeys.bookmarks : creatorKeys.feed, bookmarks ? '/api/bookmarks' : '/api/feed');
  const authorOf = (p: PostView): PostAuthor => ({ name: p.creator.displayName, handle: p.creator.handle });
  return (
    <section className="page feed">
      <div className="feed-head">
        <PageTitle>{bookmarks ? 'Bookmarks' : 'Feed'}</PageTitle>
        <nav aria-label="Posts" className="feed-tabs">
          {bookmarks ? <Link to="/feed">Feed</Link> : <Link to="/bookmarks">Bookmarks</Link>}
          <Link to="/creators">Find creators</Link>
          <Link to="/search">Search</Link>
        </nav>
      </div>
      {!bookmarks && <UnpaidRenewals />}
      <PostList
        query={posts}
        authorOf={authorOf}
        empty={bookmarks ? 'You have not bookmarked any posts yet.' : 'Nothing here yet. Follow or subscribe to creators to see their posts.'}
      />
    </section>
  );
}

/**
 * Subscriptions whose renewal could not be paid (grace): said where a fan looks every day, not only in a toast
 * they may have missed while away, with the way out (credits) and the creator's page.
 */
function UnpaidRenewals() {
  const subs = useSubscriptions();
  const unpaid = (subs.data ?? []).filter((s) => s.status === 'grace');
  if (unpaid.length === 0) return null;
  return (
    <section className="card feed-alerts" aria-label="Unpaid renewals">
      <ul>
        {unpaid.map((s) => (
          <li key={s.id}>
            {subscriptionNotice(s, 'grace')} <Link to="/wallet">Buy credits</Link>
            {s.creator.handle && (
              <>
                {' · '}
                <Link to={`/c/${s.creator.handle}`}>{s.creator.displayName}’s page</Link>
              </>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
