import { Link } from 'react-router';
import type { PostView } from '../../../shared/posts.js';
import { creatorKeys, usePosts } from '../lib/creators-queries.js';
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
        </nav>
      </div>
      <PostList
        query={posts}
        authorOf={authorOf}
        empty={bookmarks ? 'You have not bookmarked any posts yet.' : 'Nothing here yet. Follow or subscribe to creators to see their posts.'}
      />
    </section>
  );
}
