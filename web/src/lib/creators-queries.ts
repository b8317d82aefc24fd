import { useInfiniteQuery, useQuery, type QueryClient } from '@tanstack/react-query';
import type { CreatorCard, CreatorPageView, SubscriptionView } from '../../../shared/creators.js';
import type { PostView } from '../../../shared/posts.js';
import { api } from './api.js';
import { creatorsQueryString, type CreatorFilters } from './creators-format.js';

/** Query keys of the creator pages (issue #12); a mutation or a push updates them in place. */
export const creatorKeys = {
  list: (f: CreatorFilters) => ['creators', 'list', f] as const,
  page: (handle: string) => ['creators', 'page', handle] as const,
  mine: ['creators', 'mine'] as const,
  posts: (creatorId: string) => ['posts', 'creator', creatorId] as const,
  feed: ['posts', 'feed'] as const,
  bookmarks: ['posts', 'bookmarks'] as const,
  search: (text: string) => ['posts', 'search', text] as const,
  // Not under 'posts': those keys hold post lists only (replacePost walks them).
  comments: (postId: string) => ['post-comments', postId] as const,
  subscriptions: ['subscriptions'] as const,
  subscribers: ['creator', 'subscribers'] as const,
  tips: ['creator', 'tips'] as const,
  trials: ['creator', 'trials'] as const,
};

export function useCreators(filters: CreatorFilters) {
  return useInfiniteQuery({
    queryKey: creatorKeys.list(filters),
    queryFn: ({ pageParam, signal }) => api<{ creators: CreatorCard[]; nextCursor: string | null }>(`/api/creators?${creatorsQueryString(filters, pageParam)}`, { signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

export function useCreatorPage(handle: string) {
  return useQuery({
    queryKey: creatorKeys.page(handle),
    queryFn: async ({ signal }) => (await api<{ creator: CreatorPageView }>(`/api/creators/${encodeURIComponent(handle)}`, { signal })).creator,
  });
}

/** A list of posts paged by the server's cursor: a creator's, the feed, my bookmarks, or a search's. */
export function usePosts(key: readonly unknown[], path: string, enabled = true) {
  return useInfiniteQuery({
    queryKey: key,
    queryFn: ({ pageParam, signal }) =>
      api<{ posts: PostView[]; nextCursor: string | null }>(`${path}${path.includes('?') ? '&' : '?'}limit=20${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`, { signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    enabled,
  });
}

type PostPages = { pages: { posts: PostView[]; nextCursor: string | null }[]; pageParams: unknown[] };

/** A post changed (liked, unlocked, edited): every cached list that holds it shows the new one. */
export function replacePost(qc: QueryClient, post: PostView): void {
  qc.setQueriesData<PostPages>({ queryKey: ['posts'] }, (old) =>
    old?.pages?.every((p) => Array.isArray(p.posts)) ? { ...old, pages: old.pages.map((p) => ({ ...p, posts: p.posts.map((x) => (x.id === post.id ? post : x)) })) } : old,
  );
}

/** Patches one post's fields in every cached list (a like's count, a bookmark). */
export function patchPost(qc: QueryClient, id: string, patch: Partial<PostView>): void {
  qc.setQueriesData<PostPages>({ queryKey: ['posts'] }, (old) =>
    old?.pages?.every((p) => Array.isArray(p.posts)) ? { ...old, pages: old.pages.map((p) => ({ ...p, posts: p.posts.map((x) => (x.id === id ? { ...x, ...patch } : x)) })) } : old,
  );
}

export function removePost(qc: QueryClient, id: string): void {
  qc.setQueriesData<PostPages>({ queryKey: ['posts'] }, (old) =>
    old?.pages?.every((p) => Array.isArray(p.posts)) ? { ...old, pages: old.pages.map((p) => ({ ...p, posts: p.posts.filter((x) => x.id !== id) })) } : old,
  );
}

export function useSubscriptions(enabled = true) {
  return useQuery({
    queryKey: creatorKeys.subscriptions,
    queryFn: async () => (await api<{ subscriptions: SubscriptionView[] }>('/api/subscriptions')).subscriptions,
    enabled,
  });
}
