import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { CreatorPageView, SubscriptionView, TipView } from '../../../shared/creators.js';
import { api, ApiError } from '../lib/api.js';
import { audienceText, credits, dateText } from '../lib/creators-format.js';
import { creatorKeys, usePosts } from '../lib/creators-queries.js';
import { useSession } from '../lib/session.js';
import { PostList } from '../components/post-card.js';
import { StudioComposer } from '../components/studio-composer.js';
import { StudioPageEditor } from '../components/studio-page.js';
import { StudioCard } from '../components/studio-form.js';
import { StudioTiers, StudioTrials } from '../components/studio-tiers.js';
import { StudioAnalytics } from '../components/studio-analytics.js';
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
          Your page: <Link to={`/c/${page.handle}`}>/c/{page.handle}</Link> · {audienceText(page)}
        </p>
      )}
      <p>
        <Link to="/verification">Verification</Link>: confirm your identity and age to be paid.
      </p>
      <StudioTips />
      <StudioAnalytics />
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
    <StudioCard title="Your posts">
      <PostList query={posts} empty="No posts yet." authorOf={() => ({ name: page.displayName, handle: page.handle, tiers: page.tiers })} />
    </StudioCard>
  );
}

type SubscriberRow = { fan: { id: string; displayName: string }; subscription: SubscriptionView };

/** The creator's subscribers (newest first), with whose renewal is unpaid. */
const SUBSCRIBERS = { title: 'Subscribers', queryKey: creatorKeys.subscribers, path: '/api/creator/subscribers', field: 'subscribers', empty: 'No subscribers yet.' };
/** Tips received, newest first; a `tip:received` push (CreatorLive) refreshes it, so a new tip shows at once. */
const TIPS = { title: 'Tips', queryKey: creatorKeys.tips, path: '/api/creator/tips', field: 'tips', empty: 'No tips yet.', testId: 'tips' };

function StudioSubscribers() {
  const row = (r: SubscriberRow) => (
    <>
      {r.fan.displayName} · {r.subscription.tier.name} · until {dateText(r.subscription.currentPeriodEnd)}
      {r.subscription.trial && ' · trial'}
      {r.subscription.status === 'grace' && ' · renewal unpaid'}
    </>
  );
  return <StudioRows<SubscriberRow> {...SUBSCRIBERS} rowKey={(r) => r.subscription.id} row={row} />;
}

function StudioTips() {
  const row = (t: TipView) => `${t.fanName} · ${credits(t.amount)}${t.note ? ` · “${t.note}”` : ''} · ${dateText(t.createdAt)}`;
  return <StudioRows<TipView> {...TIPS} rowKey={(t) => t.id} row={row} />;
}

/** A studio list paged by the server's cursor (`{ [field]: rows, nextCursor }`), with its loading, error and empty states and "Load more". */
function StudioRows<T>({
  title,
  queryKey,
  path,
  field,
  empty,
  testId,
  rowKey,
  row,
}: {
  title: string;
  queryKey: readonly unknown[];
  path: string;
  field: string;
  empty: string;
  testId?: string;
  rowKey: (row: T) => string;
  row: (row: T) => ReactNode;
}) {
  const list = useInfiniteQuery({
    queryKey,
    queryFn: async ({ pageParam, signal }) => {
      const r = await api<Record<string, unknown> & { nextCursor: string | null }>(`${path}?limit=30${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`, { signal });
      return { rows: r[field] as T[], nextCursor: r.nextCursor };
    },
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = list.data?.pages.flatMap((p) => p.rows) ?? [];
  return (
    <StudioCard title={title}>
      {list.isPending ? (
        <p className="hint" role="status">
          Loading…
        </p>
      ) : list.isError && rows.length === 0 ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : rows.length === 0 ? (
        <p className="hint">{empty}</p>
      ) : (
        <ul className="rows" data-testid={testId}>
          {rows.map((r) => (
            <li key={rowKey(r)}>{row(r)}</li>
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <button type="button" className="btn btn-secondary more" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
    </StudioCard>
  );
}
