import { useEffect, useId, useMemo, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import {
  avatarGradient,
  callPriceText,
  distanceText,
  initials,
  matchText,
  messagePriceText,
  profileKeys,
  queueOf,
  type DiscoverPage,
  type Candidate,
} from '../lib/profile-format.js';
import { ErrorNote, Loading, PageTitle } from '../components/ui.js';
import { ProfileChips } from '../components/profile-avatar.js';
import { Media } from '../components/media.js';
import { ProfileIcon } from '../components/profile-icons.js';
import { dropFromDiscover, useSwipe } from '../components/profile-match.js';
import './discover.css';

const PAGE_SIZE = 10;
/** Fetch the next page while this many cards are still waiting, so the next card is there when one is swiped. */
const PREFETCH_BELOW = 3;


/** Keys typed into a field, or with a modifier, are not shortcuts. */
function isShortcut(e: KeyboardEvent): boolean {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || e.repeat) return false;
  const t = e.target as HTMLElement | null;
  if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return false;
  return !document.querySelector('dialog[open]');
}

export default function Discover() {
  const qc = useQueryClient();
  const location = useLocation();
  const notice = (location.state as { notice?: string } | null)?.notice;
  const [announcement, setAnnouncement] = useState('');

  const feed = useInfiniteQuery({
    queryKey: profileKeys.discover,
    queryFn: ({ pageParam, signal }) => api<DiscoverPage>(`/api/discover?limit=${PAGE_SIZE}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`, { signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    // Reshuffling the cards under someone's thumb when the window regains focus would be worse than a stale card.
    refetchOnWindowFocus: false,
    staleTime: 60_000,
  });
  const queue = useMemo(() => queueOf(feed.data?.pages ?? []), [feed.data]);
  const current = queue[0];

  useEffect(() => {
    if (queue.length < PREFETCH_BELOW && feed.hasNextPage && !feed.isFetchingNextPage && !feed.isError) void feed.fetchNextPage();
    // `feed` itself is a new object every render; fetchNextPage reads the latest state.
  }, [queue.length, feed.hasNextPage, feed.isFetchingNextPage, feed.isError]);

  const drop = (userId: string) => void dropFromDiscover(qc, userId);

  const swipe = useSwipe((_res, target, kind) => setAnnouncement(kind === 'like' ? `You liked ${target.displayName}.` : `You passed on ${target.displayName}.`));
  const decide = (kind: 'like' | 'pass') => {
    if (!current || swipe.isPending) return;
    swipe.reset();
    swipe.mutate(
      { target: current, kind },
      {
        // Gone or blocked since the page loaded: nothing to decide about any more.
        onError: (err) => {
          if (err instanceof ApiError && (err.code === 'NOT_FOUND' || err.code === 'BLOCKED')) drop(current.userId);
        },
      },
    );
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!isShortcut(e)) return;
      const kind = e.key === 'ArrowRight' || e.key === 'l' ? 'like' : e.key === 'ArrowLeft' || e.key === 'p' ? 'pass' : null;
      if (!kind) return;
      e.preventDefault();
      decide(kind);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  let body;
  if (feed.isPending) body = <Loading label="Finding people for you" />;
  else if (feed.isError && queue.length === 0) body = <ErrorNote error={feed.error} retry={() => void feed.refetch()} />;
  else if (!current && (feed.hasNextPage || feed.isFetchingNextPage)) body = <Loading label="Finding more people" />;
  else if (!current) body = <NoOneNew lookAgain={() => void feed.refetch()} looking={feed.isRefetching} />;
  else
    body = (
      <div className="discover-stage">
        <div className={`dcard-stack${queue.length > 1 ? ' has-next' : ''}`}>
          <DiscoverCard key={current.userId} candidate={current} />
        </div>
        <div className="dcard-actions" role="group" aria-label={`Decide about ${current.displayName}`}>
          <button type="button" className="btn swipe-btn swipe-pass" onClick={() => decide('pass')} disabled={swipe.isPending} aria-keyshortcuts="ArrowLeft p">
            <ProfileIcon name="cross" size={22} />
            Pass
          </button>
          <button type="button" className="btn swipe-btn swipe-like" onClick={() => decide('like')} disabled={swipe.isPending} aria-keyshortcuts="ArrowRight l">
            <ProfileIcon name="heart" filled size={22} />
            Like
          </button>
        </div>
        {swipe.isError && (
          <p className="form-error swipe-error" role="alert">
            {errorText(swipe.error)}
          </p>
        )}
        <p className="hint shortcuts">
          Keyboard: <kbd>←</kbd> pass · <kbd>→</kbd> like
        </p>
      </div>
    );

  return (
    <section className="page discover">
      <PageTitle>Discover</PageTitle>
      {notice && (
        <p className="discover-notice" role="status">
          {notice}
        </p>
      )}
      {body}
      <p className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
    </section>
  );
}

function DiscoverCard({ candidate: c }: { candidate: Candidate }) {
  const nameId = useId();
  const distance = distanceText(c.distanceBand);
  const messagePrice = messagePriceText(c.messagePrice);
  // The primary photo; the initials on the person's colours until there is one.
  const primary = c.photos.find((p) => p.state === 'ready') ?? null;
  return (
    <article className="dcard" aria-labelledby={nameId}>
      <div className="dcard-photo" style={{ backgroundImage: avatarGradient(c.userId) }}>
        {primary ? (
          <Media media={primary} alt={`${c.displayName}’s photo`} className="dcard-img" sizes="(max-width: 520px) 100vw, 480px" eager />
        ) : (
          <span className="dcard-initials" aria-hidden="true">
            {initials(c.displayName)}
          </span>
        )}

        <span className={`dcard-match${c.matchPercent === null ? ' unknown' : ''}`}>{matchText(c.matchPercent, c.commonQuestions)}</span>
        {c.role === 'creator' && <span className="dcard-creator">Creator</span>}
        <div className="dcard-caption">
          <h2 id={nameId} className="dcard-name">
            {c.displayName}
            <span className="dcard-age">, {c.age}</span>
          </h2>
          {distance && (
            <p className="dcard-distance">
              <ProfileIcon name="pin" filled size={16} />
              {distance}
            </p>
          )}
        </div>
      </div>
      <div className="dcard-body">
        {c.bio ? <p className="dcard-bio">{c.bio}</p> : <p className="dcard-bio muted">{c.displayName} has not written a bio yet.</p>}
        <ProfileChips items={c.interests} label="Interests" />
        {(messagePrice || c.callPricePerMinute > 0) && (
          <p className="dcard-prices">
            {[messagePrice, c.callPricePerMinute > 0 ? `calls ${callPriceText(c.callPricePerMinute)}` : null].filter(Boolean).join(' · ')}
          </p>
        )}
        <Link to={`/u/${c.userId}`} className="dcard-more">
          View {c.displayName}’s profile{c.photos.length > 1 ? ` (${c.photos.length} photos)` : ''}
        </Link>
      </div>
    </article>
  );
}

function NoOneNew({ lookAgain, looking }: { lookAgain: () => void; looking: boolean }) {
  return (
    <div className="discover-empty card">
      <div className="discover-empty-art" aria-hidden="true">
        <span>
          <ProfileIcon name="heart" filled size={40} />
        </span>
      </div>
      <h2>No one new right now</h2>
      <p>You have seen everyone who fits your preferences for now. A fuller profile and wider preferences bring more people your way.</p>
      <div className="discover-empty-actions">
        <Link to="/onboarding" className="btn btn-primary">
          Complete your profile
        </Link>
        <Link to="/onboarding?step=preferences" className="btn btn-secondary">
          Widen your preferences
        </Link>
      </div>
      <button type="button" className="btn btn-link" onClick={lookAgain} disabled={looking}>
        {looking ? 'Looking…' : 'Look again'}
      </button>
    </div>
  );
}
