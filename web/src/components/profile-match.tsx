import { createContext, useCallback, useContext, useId, useRef, useState, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { useMutation, useQueryClient, type InfiniteData, type QueryClient } from '@tanstack/react-query';
import { api } from '../lib/api.js';
import { keys } from '../lib/queries.js';
import { useSession } from '../lib/session.js';
import { useSocketEvent } from '../lib/socket.js';
import { profileKeys, withoutCandidate, type DiscoverPage, type OwnProfile, type UserProfile } from '../lib/profile-format.js';
import type { MediaView } from '../../../shared/media.js';
import { ProfileAvatar } from './profile-avatar.js';
import { ProfileDialog } from './profile-dialog.js';
import { ProfileIcon } from './profile-icons.js';

export interface MutualMatch {
  userId: string;
  conversationId: string;
  displayName?: string;
  /** Their picture (avatar, else first photo), when known. */
  photo?: MediaView | null;
}

/** The other person's name and picture from what the page already loaded (discover's cards, their profile). */
function knownPeer(qc: QueryClient, userId: string): { displayName: string; photo: MediaView | null } | undefined {
  const profile = qc.getQueryData<UserProfile>(profileKeys.user(userId));
  if (profile) return { displayName: profile.displayName, photo: profile.avatar };
  for (const [, data] of qc.getQueriesData<InfiniteData<DiscoverPage>>({ queryKey: profileKeys.discover })) {
    for (const page of data?.pages ?? []) {
      const c = page.candidates.find((x) => x.userId === userId);
      if (c) return { displayName: c.displayName, photo: c.avatar };
    }
  }
  return undefined;
}

/**
 * The mutual-match moment: shown when a like answers `matched: true` (call
 * `show`) or when `match:mutual` arrives because the other person liked back.
 * The one who likes second gets both; a conversation is celebrated once.
 */
export function useMutualMatch() {
  const qc = useQueryClient();
  const [match, setMatch] = useState<MutualMatch | null>(null);
  const celebrated = useRef(new Set<string>());

  const show = useCallback((m: MutualMatch) => {
    if (celebrated.current.has(m.conversationId)) {
      // Already shown (the like's answer and the push both arrived): only fill in the name and picture.
      setMatch((cur) => (cur && cur.conversationId === m.conversationId && !cur.displayName ? { ...cur, displayName: m.displayName, photo: m.photo } : cur));
      return;
    }
    celebrated.current.add(m.conversationId);
    setMatch(m);
  }, []);

  useSocketEvent('match:mutual', (p) => {
    void qc.invalidateQueries({ queryKey: keys.conversations });
    const known = knownPeer(qc, p.userId);
    show({ ...p, ...known });
    if (known) return;
    qc.fetchQuery({ queryKey: profileKeys.user(p.userId), queryFn: async () => (await api<{ profile: UserProfile }>(`/api/users/${p.userId}/profile`)).profile }).then(
      (profile) => show({ ...p, displayName: profile.displayName, photo: profile.avatar }),
      () => undefined,
    );
  });

  return { match, show, close: useCallback(() => setMatch(null), []) };
}

export function MatchDialog({ match, onClose }: { match: MutualMatch | null; onClose: () => void }) {
  const navigate = useNavigate();
  const qc = useQueryClient();
  const { user } = useSession();
  // My own picture when my profile was loaded on this visit (settings, onboarding); else my initials.
  const mine = qc.getQueryData<OwnProfile>(keys.profile)?.avatar ?? null;
  const titleId = useId();
  const textId = useId();
  return (
    <ProfileDialog open={match !== null} onClose={onClose} labelledBy={titleId} describedBy={textId} className="match-dialog">
      {match && (
        <>
          <div className="match-pair" aria-hidden="true">
            {user && <ProfileAvatar name={user.displayName} seed={user.id} photo={mine} size="lg" className="match-me" />}
            <span className="match-heart">
              <ProfileIcon name="heart" filled size={22} />
            </span>
            <ProfileAvatar name={match.displayName ?? '?'} seed={match.userId} photo={match.photo} size="lg" className="match-them" />
          </div>
          <h2 id={titleId} className="match-title">
            It’s a match!
          </h2>
          <p id={textId} className="match-text">
            {match.displayName ? `You and ${match.displayName} like each other.` : 'You like each other.'} Say hello while it’s fresh.
          </p>
          <div className="match-actions">
            <button
              type="button"
              className="btn btn-primary btn-large"
              data-autofocus
              onClick={() => {
                onClose();
                navigate(`/chats/${match.conversationId}`);
              }}
            >
              Send a message
            </button>
            <button type="button" className="btn btn-secondary" onClick={onClose}>
              Keep discovering
            </button>
          </div>
        </>
      )}
    </ProfileDialog>
  );
}

const MatchMoment = createContext<(m: MutualMatch) => void>(() => undefined);

/**
 * One match moment for the whole app: a `match:mutual` push shows the dialog
 * on whatever page the person is on (mounted once in app.tsx); discover shows
 * it for its own likes with `useShowMatch()`.
 */
export function MatchMomentProvider({ children }: { children: ReactNode }) {
  const { match, show, close } = useMutualMatch();
  return (
    <MatchMoment.Provider value={show}>
      {children}
      <MatchDialog match={match} onClose={close} />
    </MatchMoment.Provider>
  );
}

export function useShowMatch(): (m: MutualMatch) => void {
  return useContext(MatchMoment);
}

/** Who a like or pass is about: what the match moment shows if it becomes a match. */
export interface SwipeTarget {
  userId: string;
  displayName: string;
  avatar: MediaView | null;
}
export type SwipeKind = 'like' | 'pass';
export interface SwipeResult {
  matched: boolean;
  conversationId: string | null;
}

/**
 * Takes a person out of the loaded discover pages (swiped, blocked, gone). A next page still loading is
 * cancelled first: React Query would settle it on the pages it began with and bring the person back; the
 * discover page asks for it again once its queue runs low.
 */
export async function dropFromDiscover(qc: QueryClient, userId: string): Promise<void> {
  await qc.cancelQueries({ queryKey: profileKeys.discover });
  qc.setQueriesData<InfiniteData<DiscoverPage>>({ queryKey: profileKeys.discover }, (d) => (d ? { ...d, pages: withoutCandidate(d.pages, userId) } : d));
}

/**
 * A like or a pass, wherever it is given (discover's cards, "who liked me", a
 * profile): the person leaves discover's queue and the likes list, and a like
 * that makes a match refreshes the matches and their profile and shows the
 * match moment. `onDone` adds what only the calling page does.
 */
export function useSwipe(onDone?: (res: SwipeResult, target: SwipeTarget, kind: SwipeKind) => void) {
  const qc = useQueryClient();
  const show = useShowMatch();
  return useMutation({
    mutationFn: ({ target, kind }: { target: SwipeTarget; kind: SwipeKind }) =>
      api<SwipeResult>(`/api/discover/${target.userId}/${kind}`, { method: 'POST' }),
    onSuccess: async (res, { target, kind }) => {
      await dropFromDiscover(qc, target.userId);
      void qc.invalidateQueries({ queryKey: profileKeys.likes });
      if (res.matched && res.conversationId) {
        void qc.invalidateQueries({ queryKey: profileKeys.matches });
        void qc.invalidateQueries({ queryKey: profileKeys.user(target.userId) });
        show({ userId: target.userId, conversationId: res.conversationId, displayName: target.displayName, photo: target.avatar });
      }
      onDone?.(res, target, kind);
    },
  });
}
