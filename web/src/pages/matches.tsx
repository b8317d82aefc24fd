import { useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import type { LikeView, MatchView, PublicProfile } from '../../../shared/profiles.js';
import { api } from '../lib/api.js';
import { profileKeys } from '../lib/profile-format.js';
import { keys } from '../lib/queries.js';
import { useSocketEvent } from '../lib/socket.js';
import { Dialog } from '../components/dialog.js';
import { ProfileAvatar } from '../components/profile-avatar.js';
import { useSwipe } from '../components/profile-match.js';
import { formatWhen } from '../components/wallet-queries.js';
import { Empty, ErrorNote, FormError, Loading, PageTitle } from '../components/ui.js';
import './matches.css';

const PAGE_SIZE = 20;

type Tab = 'matches' | 'likes';

/** Matches (people who liked each other) and "Likes you" (who liked me and waits for my answer). */
export default function Matches() {
  const [tab, setTab] = useState<Tab>('matches');
  const qc = useQueryClient();
  // A match made or ended on any device (or by the other person) changes both lists.
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: profileKeys.matches });
    void qc.invalidateQueries({ queryKey: profileKeys.likes });
  };
  useSocketEvent('match:mutual', refresh);
  useSocketEvent('match:unmatched', refresh);
  return (
    <section className="page matches">
      <PageTitle>Matches</PageTitle>
      <div className="matches-tabs" role="tablist" aria-label="Matches and likes">
        {(['matches', 'likes'] as const).map((t) => (
          <button key={t} type="button" role="tab" id={`tab-${t}`} aria-selected={tab === t} aria-controls={`panel-${t}`} className="matches-tab" onClick={() => setTab(t)}>
            {t === 'matches' ? 'Matches' : 'Likes you'}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'matches' ? <MatchList /> : <LikeList />}
      </div>
    </section>
  );
}

/** A paged list read newest first with a "Show more" button. */
function usePaged<T>(key: readonly string[], path: string, field: 'matches' | 'likes') {
  return useInfiniteQuery({
    queryKey: key,
    queryFn: async ({ pageParam, signal }) => {
      const page = await api<Record<typeof field, T[]> & { nextCursor: string | null }>(`${path}?limit=${PAGE_SIZE}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`, { signal });
      return { items: page[field], nextCursor: page.nextCursor };
    },
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
}

function Person({ profile: p, when, children }: { profile: PublicProfile; when: string; children: ReactNode }) {
  return (
    <li className="matches-row">
      <ProfileAvatar name={p.displayName} seed={p.userId} photo={p.avatar} />
      <div className="matches-row-main">
        <Link to={`/u/${p.userId}`} className="matches-name">
          {p.displayName}, {p.age}
        </Link>
        <span className="hint">{when}</span>
      </div>
      <div className="matches-actions">{children}</div>
    </li>
  );
}

function MatchList() {
  const list = usePaged<MatchView>(profileKeys.matches, '/api/matches', 'matches');
  const [ending, setEnding] = useState<MatchView | null>(null);
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  if (list.isPending) return <Loading label="Loading your matches" />;
  if (list.isError) return <ErrorNote error={list.error} retry={() => void list.refetch()} />;
  if (items.length === 0)
    return (
      <Empty title="No matches yet">
        When someone you liked likes you back, you can talk here. <Link to="/discover">Go to Discover</Link>
      </Empty>
    );
  return (
    <>
      <ul className="matches-rows" aria-label="Your matches">
        {items.map((m) => (
          <Person key={m.profile.userId} profile={m.profile} when={`Matched ${formatWhen(m.matchedAt)}`}>
            {m.conversationId && (
              <Link to={`/chats/${m.conversationId}`} className="btn btn-primary">
                Message
              </Link>
            )}
            <button type="button" className="btn btn-secondary" onClick={() => setEnding(m)} aria-label={`Unmatch ${m.profile.displayName}`}>
              Unmatch
            </button>
          </Person>
        ))}
      </ul>
      <MoreButton list={list} />
      {ending && <UnmatchDialog match={ending} onClose={() => setEnding(null)} />}
    </>
  );
}

function UnmatchDialog({ match, onClose }: { match: MatchView; onClose: () => void }) {
  const qc = useQueryClient();
  const name = match.profile.displayName;
  const unmatch = useMutation({
    mutationFn: () => api<void>(`/api/matches/${match.profile.userId}`, { method: 'DELETE' }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: profileKeys.matches });
      void qc.invalidateQueries({ queryKey: keys.conversations });
      onClose();
    },
  });
  return (
    <Dialog title={`Unmatch ${name}?`} onClose={onClose}>
      {() => (
        <>
          <p>Your conversation with {name} ends for both of you and neither of you can write or call the other. If you both like each other again later, it opens again.</p>
          <FormError error={unmatch.error} />
          <div className="dialog-actions">
            <button type="button" className="btn btn-secondary" onClick={onClose}>
              Keep the match
            </button>
            <button type="button" className="btn btn-danger" onClick={() => unmatch.mutate()} disabled={unmatch.isPending}>
              {unmatch.isPending ? 'Unmatching…' : 'Unmatch'}
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}

function LikeList() {
  const answer = useSwipe();
  const list = usePaged<LikeView>(profileKeys.likes, '/api/likes', 'likes');
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  if (list.isPending) return <Loading label="Loading who liked you" />;
  if (list.isError) return <ErrorNote error={list.error} retry={() => void list.refetch()} />;
  if (items.length === 0) return <Empty title="No new likes">People who like you show here until you answer them.</Empty>;
  const busy = (p: PublicProfile) => answer.isPending && answer.variables?.target.userId === p.userId;
  return (
    <>
      <FormError error={answer.error} />
      <ul className="matches-rows" aria-label="People who liked you">
        {items.map((l) => (
          <Person key={l.profile.userId} profile={l.profile} when={`Liked you ${formatWhen(l.likedAt)}`}>
            <button type="button" className="btn btn-primary" onClick={() => answer.mutate({ target: l.profile, kind: 'like' })} disabled={busy(l.profile)} aria-label={`Like back ${l.profile.displayName}`}>
              Like back
            </button>
            <button type="button" className="btn btn-secondary" onClick={() => answer.mutate({ target: l.profile, kind: 'pass' })} disabled={busy(l.profile)} aria-label={`Pass on ${l.profile.displayName}`}>
              Pass
            </button>
          </Person>
        ))}
      </ul>
      <MoreButton list={list} />
    </>
  );
}

function MoreButton({ list }: { list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown } }) {
  if (!list.hasNextPage) return null;
  return (
    <button type="button" className="btn btn-link matches-more" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
      {list.isFetchingNextPage ? 'Loading…' : 'Show more'}
    </button>
  );
}
