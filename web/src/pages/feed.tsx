import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import type { PostView } from '../../../shared/posts.js';
import type { PublicProfile } from '../../../shared/profiles.js';
import { api } from '../lib/api.js';
import { creatorKeys, usePosts } from '../lib/creators-queries.js';
import { PostList, type PostAuthor } from '../components/post-card.js';
import { PageTitle } from '../components/ui.js';
import './creators.css';

/** A creator's name for a post in the feed (the feed carries only their id); cached per creator. */
function useNames(posts: PostView[]) {
  const ids = [...new Set(posts.map((p) => p.creatorId))];
  return useQuery({
    queryKey: ['post-authors', ids],
    queryFn: async () => {
      const entries = await Promise.all(
        ids.map(async (id) => [id, (await api<{ profile: PublicProfile }>(`/api/users/${id}/profile`).catch(() => null))?.profile.displayName ?? 'A creator'] as const),
      );
      return Object.fromEntries(entries) as Record<string, string>;
    },
    enabled: ids.length > 0,
    staleTime: 5 * 60_000,
  });
}

/** /feed (posts of the creators I follow or subscribe to) and /bookmarks (the same list, my bookmarks). */
export default function Feed({ bookmarks = false }: { bookmarks?: boolean }) {
  const posts = usePosts(bookmarks ? creatorKeys.bookmarks : creatorKeys.feed, bookmarks ? '/api/bookmarks' : '/api/feed');
  const names = useNames(posts.data?.pages.flatMap((p) => p.posts) ?? []);
  const authorOf = (p: PostView): PostAuthor => ({ name: names.data?.[p.creatorId] ?? 'A creator' });
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
