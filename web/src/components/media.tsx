import { useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { MediaView } from '../../../shared/media.js';
import { ApiError } from '../lib/api.js';
import { imageSource, linksExpired, mediaShape } from '../lib/media.js';
import { refreshView, useMediaView } from '../lib/media-view.js';
import './media.css';

/**
 * A photo or a video as Pairly serves it: the variant that fits (srcset of
 * w160/w640/w1280 with `sizes`), loaded lazily, a video with its poster and
 * controls, and locked pay-to-view content as its blurred preview scaled up
 * under an overlay (`locked`). Links that fail (expired) are fetched again.
 * Give the view when the page has it (`media`, from a profile or a list),
 * else its `id`.
 */
export function Media({
  media,
  id,
  alt,
  sizes = '(max-width: 700px) 100vw, 640px',
  className = '',
  locked,
  eager = false,
}: {
  media?: MediaView | null;
  id?: string;
  /** What the picture shows, from its context ("Ada's photo 2 of 3"). */
  alt: string;
  sizes?: string;
  className?: string;
  /** Drawn over the blurred preview of locked content (the price and the unlock button). */
  locked?: ReactNode;
  /** The first thing on screen (a profile's primary photo): not lazy. */
  eager?: boolean;
}) {
  const qc = useQueryClient();
  const query = useMediaView(media?.id ?? id, media);
  const view = query.data;
  const mountedAt = useMountTime();
  const cls = `media ${className}`.trim();

  if (!view) {
    if (query.isError) {
      const gone = query.error instanceof ApiError && query.error.status === 404;
      return <div className={`${cls} media-empty`}>{gone ? 'This photo or video is no longer available.' : 'This photo or video could not be loaded.'}</div>;
    }
    return (
      <div className={`${cls} media-empty media-loading`}>
        <span className="visually-hidden">Loading {alt}</span>
      </div>
    );
  }
  // Links already expired when this mounted are not handed to the browser (a failed load): the stale view is being
  // fetched again. Later, a loaded picture stays; one that fails to load (expired meanwhile) asks for fresh links.
  if (linksExpired(view, mountedAt)) {
    return query.isError ? (
      <div className={`${cls} media-empty`}>This photo or video could not be loaded.</div>
    ) : (
      <div className={`${cls} media-empty media-loading`}>
        <span className="visually-hidden">Loading {alt}</span>
      </div>
    );
  }
  const shape = mediaShape(view);
  const onError = () => refreshView(qc, view);

  switch (shape.kind) {
    case 'image':
      return (
        <img
          className={cls}
          src={shape.source.src}
          srcSet={shape.source.srcSet}
          sizes={shape.source.srcSet ? sizes : undefined}
          width={shape.source.width}
          height={shape.source.height}
          alt={alt}
          loading={eager ? 'eager' : 'lazy'}
          decoding="async"
          onError={onError}
        />
      );
    case 'video':
      return (
        <video className={cls} src={shape.src} poster={shape.poster} width={shape.width} height={shape.height} controls preload="metadata" playsInline aria-label={alt} onError={onError} />
      );
    case 'locked':
      return (
        <div className={`${cls} media-locked`}>
          {shape.preview && <img className="media-locked-preview" src={shape.preview} alt="" aria-hidden="true" onError={onError} />}
          <div className="media-locked-over">{locked}</div>
        </div>
      );
    case 'processing':
      return (
        <div className={`${cls} media-empty`} role="status">
          <span className="spinner" aria-hidden="true" /> Processing…
        </div>
      );
    case 'rejected':
      return <div className={`${cls} media-empty`}>This photo or video could not be used.</div>;
    case 'gone':
      return <div className={`${cls} media-empty`}>This photo or video is no longer available.</div>;
  }
}

/**
 * A person's picture inside an avatar circle (the initials underneath stay
 * the fallback). Decorative: the name is always written beside it. Renders
 * nothing unless the photo can be shown.
 */
export function AvatarPhoto({ media, px }: { media: MediaView | null | undefined; px: number }) {
  const qc = useQueryClient();
  const query = useMediaView(media?.id, media);
  const view = query.data;
  const mountedAt = useMountTime();
  if (!view || view.locked || view.state !== 'ready') return null;
  const source = imageSource(view, px * 2);
  if (!source || linksExpired(view, mountedAt)) return null;
  return (
    <img
      className="avatar-photo"
      src={source.src}
      srcSet={source.srcSet}
      sizes={source.srcSet ? `${px}px` : undefined}
      alt=""
      loading="lazy"
      decoding="async"
      onError={() => refreshView(qc, view)}
    />
  );
}

/** When the component mounted (a stable clock for render-time decisions). */
function useMountTime(): number {
  return useState(() => Date.now())[0];
}
