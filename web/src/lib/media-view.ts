import { useEffect, useSyncExternalStore } from 'react';
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { MediaView } from '../../../shared/media.js';
import { api } from './api.js';
import { fresherView, mediaKeys, usableForMs } from './media.js';
import type { UploadState, UploadTask } from './upload.js';

/**
 * A media item's view (GET /api/media/:id) in the query cache, under
 * ['media', id]. It stays fresh until shortly before its signed URLs expire
 * (lib/media.ts usableForMs), so a page that mounts later gets a new one
 * rather than links that no longer open. A view that came inside a profile,
 * a discover page or the conversation list (`seed`) goes into the cache when
 * it is the fresher one, and no request is made for it.
 */
export function useMediaView(id: string | null | undefined, seed?: MediaView | null) {
  const qc = useQueryClient();
  useEffect(() => {
    if (seed) putView(qc, seed);
  }, [qc, seed]);
  return useQuery({
    queryKey: mediaKeys.one(id ?? ''),
    queryFn: async ({ signal }) => (await api<{ media: MediaView }>(`/api/media/${encodeURIComponent(id!)}`, { signal })).media,
    enabled: Boolean(id),
    initialData: seed && seed.id === id ? seed : undefined,
    staleTime: (q) => usableForMs(q.state.data, Date.now()),
    // Many small views on a page (a list of avatars): asked again when used after expiry or when a link fails, not on every focus.
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  });
}

/** Puts a view into the cache unless the cached one is fresher (a state change, longer-lived URLs). */
export function putView(qc: QueryClient, view: MediaView): void {
  qc.setQueryData<MediaView>(mediaKeys.one(view.id), (old) => fresherView(old, view));
}

/** A view whose links failed to open (expired, or the item changed): fetch it again, once per set of links. */
export function refreshView(qc: QueryClient, view: MediaView): void {
  const cached = qc.getQueryData<MediaView>(mediaKeys.one(view.id));
  if (cached && cached.urlsExpireAt !== view.urlsExpireAt) return;
  void qc.invalidateQueries({ queryKey: mediaKeys.one(view.id), exact: true });
}

/** An upload's state, re-rendering as it goes (lib/upload.ts UploadTask). */
export function useUploadState(task: UploadTask | null): UploadState | null {
  return useSyncExternalStore(
    (l) => task?.subscribe(l) ?? (() => undefined),
    () => task?.snapshot() ?? null,
  );
}
