import { useId, useState } from 'react';
import { ReportDialog } from '../components/report-dialog.js';
import { Link, useNavigate, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { requestCall } from '../lib/call-intent.js';
import { keys } from '../lib/queries.js';
import { useSession } from '../lib/session.js';
import { callPriceText, languageName, matchText, messagePriceText, profileKeys, type UserProfile } from '../lib/profile-format.js';
import { ErrorNote, FormError, Loading } from '../components/ui.js';
import { ProfileAvatar, ProfileChips } from '../components/profile-avatar.js';
import { ProfileDialog } from '../components/profile-dialog.js';
import { ProfileIcon } from '../components/profile-icons.js';
import { dropFromDiscover, useSwipe } from '../components/profile-match.js';
import { Media } from '../components/media.js';
import './public-profile.css';

const GENDER_WORDS: Record<string, string> = { woman: 'Woman', man: 'Man', nonbinary: 'Non-binary', other: 'Other' };

export default function PublicProfile() {
  const { userId = '' } = useParams();
  const { user } = useSession();
  const profile = useQuery({
    queryKey: profileKeys.user(userId),
    queryFn: async () => (await api<{ profile: UserProfile }>(`/api/users/${encodeURIComponent(userId)}/profile`)).profile,
  });

  let body;
  if (profile.isPending) body = <Loading label="Loading profile" />;
  else if (profile.isError) {
    const gone = profile.error instanceof ApiError && (profile.error.code === 'NOT_FOUND' || profile.error.code === 'VALIDATION_FAILED');
    body = gone ? (
      <div className="state pp-gone">
        <h1 className="page-title">This profile is not available</h1>
        <p>It may have been removed, or this person cannot be reached.</p>
        <Link to="/discover" className="btn btn-primary">
          Back to Discover
        </Link>
      </div>
    ) : (
      <ErrorNote error={profile.error} retry={() => void profile.refetch()} />
    );
  } else body = <ProfileView profile={profile.data} own={profile.data.userId === user?.id} />;

  return (
    <section className="page public-profile">
      {body}
    </section>
  );
}

function ProfileView({ profile: p, own }: { profile: UserProfile; own: boolean }) {
  const details = [p.age, p.gender ? GENDER_WORDS[p.gender] ?? p.gender : null].filter((x) => x !== null).join(' · ');
  // The owner's own view also lists photos still processing or refused: this page shows what others see.
  const photos = p.photos.filter((m) => m.state === 'ready');
  const cover = p.cover?.state === 'ready' ? p.cover : null;
  return (
    <article className="pp">
      <header className="pp-head">
        <div className={`pp-cover${cover ? ' has-photo' : ''}`} aria-hidden="true">
          {cover && <Media media={cover} alt="" className="pp-cover-img" sizes="(max-width: 760px) 100vw, 720px" eager />}
        </div>
        <ProfileAvatar name={p.displayName} seed={p.userId} photo={p.avatar} size="xl" className="pp-avatar" />
        <h1 className="pp-name">{p.displayName}</h1>
        <p className="pp-details">
          {details}
          {p.role === 'creator' && <span className="pp-creator">Creator</span>}
        </p>
        {!own && (
          <p className={`pp-match${p.matchPercent === null ? ' unknown' : ''}`}>
            <strong>{matchText(p.matchPercent, p.commonQuestions)}</strong>
            {p.commonQuestions > 0 && (
              <span className="pp-common">
                {' '}
                · based on {p.commonQuestions} question{p.commonQuestions === 1 ? '' : 's'} you both answered
              </span>
            )}
          </p>
        )}
      </header>

      {own ? (
        <div className="pp-own card">
          <p>This is how other people see your profile.</p>
          <Link to="/onboarding" className="btn btn-secondary">
            Edit your profile
          </Link>
        </div>
      ) : (
        <ProfileActions profile={p} />
      )}

      {photos.length > 0 && <Gallery name={p.displayName} photos={photos} />}

      <div className="pp-sections">
        <section className="card pp-section" aria-labelledby="pp-about">
          <h2 id="pp-about">About</h2>
          {p.bio ? <p className="pp-bio">{p.bio}</p> : <p className="muted">{p.displayName} has not written a bio yet.</p>}
        </section>
        <section className="card pp-section" aria-labelledby="pp-interests">
          <h2 id="pp-interests">Interests</h2>
          {p.interests.length ? <ProfileChips items={p.interests} label={`${p.displayName}’s interests`} /> : <p className="muted">None listed yet.</p>}
          {p.languages.length > 0 && (
            <>
              <h3 className="pp-subhead">Speaks</h3>
              <p>{p.languages.map(languageName).join(', ')}</p>
            </>
          )}
        </section>
      </div>
      {!own && p.commonQuestions === 0 && (
        <p className="pp-hint">
          Answer more <Link to="/onboarding?step=questions">compatibility questions</Link> to see how well you match.
        </p>
      )}
    </article>
  );
}

/** Every photo in the owner's order, the primary one first and largest. */
function Gallery({ name, photos }: { name: string; photos: UserProfile['photos'] }) {
  return (
    <section className="pp-gallery" aria-labelledby="pp-photos">
      <h2 id="pp-photos" className="visually-hidden">
        Photos of {name}
      </h2>
      <ul className={`pp-photos pp-photos-${Math.min(photos.length, 3)}`}>
        {photos.map((m, i) => (
          <li key={m.id} className={i === 0 ? 'pp-photo-primary' : undefined}>
            <Media
              media={m}
              alt={photos.length > 1 ? `${name}, photo ${i + 1} of ${photos.length}` : `${name}’s photo`}
              className="pp-photo"
              sizes={i === 0 ? '(max-width: 760px) 100vw, 720px' : '(max-width: 760px) 50vw, 240px'}
              eager={i === 0}
            />
          </li>
        ))}
      </ul>
    </section>
  );
}

function ProfileActions({ profile: p }: { profile: UserProfile }) {
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const [reporting, setReporting] = useState(false);
  const [reported, setReported] = useState(false);
  const titleId = useId();
  const textId = useId();
  const messagePrice = messagePriceText(p.messagePrice);
  const callPrice = callPriceText(p.callPricePerMinute);

  const message = useMutation({
    mutationFn: () => api<{ conversationId: string }>('/api/conversations', { body: { userId: p.userId } }),
    onSuccess: ({ conversationId }) => {
      void qc.invalidateQueries({ queryKey: keys.conversations });
      void navigate(`/chats/${conversationId}`);
    },
  });

  const block = useMutation({
    mutationFn: () => api<void>(`/api/blocks/${p.userId}`, { method: 'PUT' }),
    onSuccess: async () => {
      setConfirming(false);
      await dropFromDiscover(qc, p.userId);
      qc.removeQueries({ queryKey: profileKeys.user(p.userId) });
      void qc.invalidateQueries({ queryKey: keys.conversations });
      void navigate('/discover', { replace: true, state: { notice: `You blocked ${p.displayName}. They can no longer see you or contact you.` } });
    },
  });

  const call = (video: boolean) => requestCall({ toUserId: p.userId, displayName: p.displayName, video, pricePerMinute: p.callPricePerMinute });

  return (
    <div className="pp-actions">
      {p.canMessage ? (
        <>
          <div className="pp-action-main">
            <button type="button" className="btn btn-primary btn-large" onClick={() => message.mutate()} disabled={message.isPending}>
              <ProfileIcon name="chat" /> {message.isPending ? 'Opening…' : 'Message'}
            </button>
            {messagePrice && <span className="pp-price">{messagePrice}</span>}
          </div>
          <div className="pp-calls">
            <button type="button" className="btn btn-secondary" onClick={() => call(false)}>
              <ProfileIcon name="phone" /> Voice call <span className="pp-call-price">{callPrice}</span>
            </button>
            <button type="button" className="btn btn-secondary" onClick={() => call(true)}>
              <ProfileIcon name="video" /> Video call <span className="pp-call-price">{callPrice}</span>
            </button>
          </div>
        </>
      ) : (
        <LikeFirst profile={p} />
      )}
      {message.isError && (
        <p className="form-error" role="alert">
          {errorText(message.error)}
        </p>
      )}
      <button type="button" className="btn btn-link pp-block" onClick={() => setConfirming(true)}>
        Block {p.displayName}
      </button>
      <button type="button" className="btn btn-link pp-block" onClick={() => setReporting(true)}>
        Report {p.displayName}
      </button>
      {reported && <p role="status">Thank you. Our moderators will look at this profile.</p>}
      {reporting && <ReportDialog subject="profile" id={p.userId} title={`Report ${p.displayName}`} onClose={() => setReporting(false)} onReported={() => setReported(true)} />}

      <ProfileDialog open={confirming} onClose={() => setConfirming(false)} labelledBy={titleId} describedBy={textId}>
        <h2 id={titleId}>Block {p.displayName}?</h2>
        <p id={textId}>
          You will not see each other in Discover or random matches, and neither of you can message or call the other. You can unblock them later in Settings.
        </p>
        {block.isError && (
          <p className="form-error" role="alert">
            {errorText(block.error)}
          </p>
        )}
        <div className="modal-actions">
          <button type="button" className="btn btn-secondary" data-autofocus onClick={() => setConfirming(false)}>
            Cancel
          </button>
          <button type="button" className="btn btn-danger" onClick={() => block.mutate()} disabled={block.isPending}>
            {block.isPending ? 'Blocking…' : 'Block'}
          </button>
        </div>
      </ProfileDialog>
    </div>
  );
}

/** For someone who takes messages and calls only from matches: say so, and offer the like that may make one. */
function LikeFirst({ profile: p }: { profile: UserProfile }) {
  const like = useSwipe();
  return (
    <div className="pp-action-main pp-consent">
      <p>{p.displayName} takes messages and calls only from their matches. Like them: if they like you back, you can talk.</p>
      {like.isSuccess && !like.data.matched ? (
        <p role="status">You liked {p.displayName}.</p>
      ) : (
        <button type="button" className="btn btn-primary btn-large" onClick={() => like.mutate({ target: p, kind: 'like' })} disabled={like.isPending}>
          <ProfileIcon name="heart" filled /> {like.isPending ? 'Liking…' : 'Like'}
        </button>
      )}
      <FormError error={like.error} />
    </div>
  );
}
