import { Link } from 'react-router';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { CreatorPageView, SubscriptionView, TipView } from '../../../shared/creators.js';
import { api, ApiError } from '../lib/api.js';
import { credits, dateText } from '../lib/creators-format.js';
import { creatorKeys, usePosts } from '../lib/creators-queries.js';
import { useSession } from '../lib/session.js';
import { PostList } from '../components/post-card.js';
import { StudioComposer } from '../components/studio-composer.js';
import { StudioPageEditor } from '../components/studio-page.js';
import { StudioTiers, StudioTrials } from '../components/studio-tiers.js';
import { ErrorNote, Loading, PageTitle } from '../components/ui.js';
import './creators.css';

/** /studio: a creator's page, tiers, trial links, composer, posts, subscribers and tips. */
export default function Studio() {
  const { user } = useSession();
  const mine = useQuery({
    queryKey: creatorKeys.mine,
    // No page yet is a normal state (404): the editor creates it.
    queryFn: async () => (await api<{ creator: CreatorPageView }>('/api/creator/page').catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 404) return { creator: null };
      throw e;
    })).creator,
    enabled: user?.role === 'creator',
  });
  if (user?.role !== 'creator')
    return (
      <section className="page narrow">
        <PageTitle>Studio</PageTitle>
        <p>The studio is for creator accounts.</p>
      </section>
    );
  if (mine.isPending) return <Loading label="Loading your studio" />;
  if (mine.isError) return <ErrorNote error={mine.error} retry={() => void mine.refetch()} />;
  const page = mine.data;
  return (
    <section className="page studio">
      <PageTitle>Studio</PageTitle>
      {page && (
        <p>
          Your page: <Link to={`/c/${page.handle}`}>/c/{page.handle}</Link> · {page.followerCount} followers · {page.subscriberCount} subscribers
        </p>
      )}
      <StudioTips />
      <StudioPageEditor key={page?.handle ?? 'new'} page={page} />
      {page && (
        <>
          <StudioTiers page={page} />
          <StudioTrials page={page} />
          <StudioComposer creatorId={page.userId} tiers={page.tiers} />
          <StudioPosts page={page} />
          <StudioSubscribers />
        </>
      )}
    </section>
  );
}

function StudioPosts({ page }: { page: CreatorPageView }) {
  const posts = usePosts(creatorKeys.posts(page.userId), `/api/creators/${page.userId}/posts`);
  return (
    <section className="card" aria-labelledby="studio-posts">
      <h2 id="studio-posts">Your posts</h2>
      <PostList query={posts} empty="No posts yet." authorOf={() => ({ name: page.displayName, handle: page.handle, tiers: page.tiers })} />
    </section>
  );
}

function StudioSubscribers() {
  const list = useInfiniteQuery({
    queryKey: creatorKeys.subscribers,
    queryFn: ({ pageParam }) =>
      api<{ subscribers: { fan: { id: string; displayName: string }; subscription: SubscriptionView }[]; nextCursor: string | null }>(
        `/api/creator/subscribers?limit=30${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`,
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = list.data?.pages.flatMap((p) => p.subscribers) ?? [];
  return (
    <section className="card" aria-labelledby="studio-subs">
      <h2 id="studio-subs">Subscribers</h2>
      {list.isPending ? (
        <p className="hint">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="hint">No subscribers yet.</p>
      ) : (
        <ul className="rows">
          {rows.map((r) => (
            <li key={r.subscription.id}>
              {r.fan.displayName} · {r.subscription.tier.name} · until {dateText(r.subscription.currentPeriodEnd)}
              {r.subscription.trial && ' · trial'}
              {r.subscription.status === 'grace' && ' · renewal unpaid'}
            </li>
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <button type="button" className="btn btn-secondary more" onClick={() => void list.fetchNextPage()}>
          Load more
        </button>
      )}
    </section>
  );
}

/** Tips received, newest first; a `tip:received` push (CreatorLive) refreshes it, so a new tip shows at once. */
function StudioTips() {
  const list = useInfiniteQuery({
    queryKey: creatorKeys.tips,
    queryFn: ({ pageParam }) => api<{ tips: TipView[]; nextCursor: string | null }>(`/api/creator/tips?limit=30${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = list.data?.pages.flatMap((p) => p.tips) ?? [];
  return (
    <section className="card" aria-labelledby="studio-tips">
      <h2 id="studio-tips">Tips</h2>
      {list.isPending ? (
        <p className="hint">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="hint">No tips yet.</p>
      ) : (
        <ul className="rows" data-testid="tips">
          {rows.map((t) => (
            <li key={t.id}>
              {t.fanName} · {credits(t.amount)}
              {t.note && ` · “${t.note}”`} · {dateText(t.createdAt)}
            </li>
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <button type="button" className="btn btn-secondary more" onClick={() => void list.fetchNextPage()}>
          Load more
        </button>
      )}
    </section>
  );
}
