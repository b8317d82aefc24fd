import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import type { CreatorPageView } from '../../../shared/creators.js';
import { api, ApiError } from '../lib/api.js';
import { audienceText, bundleOptions, credits, dateText } from '../lib/creators-format.js';
import { creatorKeys, useCreatorPage, usePosts } from '../lib/creators-queries.js';
import { useSession } from '../lib/session.js';
import { AvatarPhoto, Media } from '../components/media.js';
import { PostList } from '../components/post-card.js';
import { SubscribeDialog, SubscriptionPanel } from '../components/creator-subscribe.js';
import { TipDialog } from '../components/creator-tip.js';
import { ErrorNote, FormError, Loading, PageTitle } from '../components/ui.js';
import './creators.css';

/** /c/:handle: a creator's page, tiers, follow, subscribe, tip, and their posts (pinned first). */
export default function CreatorPage() {
  const { handle = '' } = useParams();
  const page = useCreatorPage(handle.toLowerCase());
  if (page.isPending) return <Loading label="Loading the page" />;
  if (page.isError) {
    const gone = page.error instanceof ApiError && page.error.status === 404;
    return (
      <section className="page narrow">
        <PageTitle>{gone ? 'No such creator' : 'This page could not be loaded'}</PageTitle>
        {gone ? (
          <p>
            Nobody has the handle @{handle}. <Link to="/creators">Browse creators</Link>
          </p>
        ) : (
          <ErrorNote error={page.error} retry={() => void page.refetch()} />
        )}
      </section>
    );
  }
  return <CreatorView creator={page.data} />;
}

function CreatorView({ creator: c }: { creator: CreatorPageView }) {
  const { user } = useSession();
  const qc = useQueryClient();
  const mine = user?.id === c.userId;
  const [subscribing, setSubscribing] = useState<string | null>(null);
  const [tipping, setTipping] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const posts = usePosts(creatorKeys.posts(c.userId), `/api/creators/${c.userId}/posts`);
  const tiers = c.tiers.filter((t) => !t.archived);
  const sub = c.viewer.subscription;
  const subscribed = sub !== null && sub.status !== 'expired';

  const follow = async (on: boolean) => {
    setError(null);
    try {
      const r = await api<{ follows: boolean; followerCount: number }>(`/api/creators/${c.handle}/follow`, { method: on ? 'POST' : 'DELETE' });
      qc.setQueryData<CreatorPageView>(creatorKeys.page(c.handle), (old) => (old ? { ...old, followerCount: r.followerCount, viewer: { ...old.viewer, follows: r.follows } } : old));
      void qc.invalidateQueries({ queryKey: creatorKeys.posts(c.userId) });
      void qc.invalidateQueries({ queryKey: creatorKeys.feed });
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className="page creator-page">
      {c.cover && <Media media={c.cover} alt="" className="creator-cover" sizes="(max-width: 900px) 100vw, 900px" eager />}
      <header className="creator-head">
        <span className="creator-avatar big" aria-hidden="true">
          {c.displayName.slice(0, 1).toUpperCase()}
          <AvatarPhoto media={c.avatar} px={96} />
        </span>
        <div>
          <PageTitle>{c.displayName}</PageTitle>
          <p className="hint">@{c.handle}</p>
          <p className="creator-counts">
            {audienceText(c)}
          </p>
        </div>
        {!mine && (
          <div className="creator-head-actions">
            <button type="button" className="btn btn-secondary" aria-pressed={c.viewer.follows} onClick={() => void follow(!c.viewer.follows)}>
              {c.viewer.follows ? 'Unfollow' : 'Follow'}
            </button>
            {tiers.length > 0 && !subscribed && (
              <button type="button" className="btn btn-primary" onClick={() => setSubscribing(tiers[0]!.id)}>
                Subscribe
              </button>
            )}
            <button type="button" className="btn btn-secondary" onClick={() => setTipping(true)}>
              Tip
            </button>
          </div>
        )}
        {mine && (
          <Link to="/studio" className="btn btn-secondary">
            Edit in Studio
          </Link>
        )}
      </header>
      <FormError error={error} />
      {c.bio && <p className="creator-bio">{c.bio}</p>}
      {c.links.length > 0 && (
        <ul className="creator-links">
          {c.links.map((l) => (
            <li key={l.url}>
              <a href={l.url} target="_blank" rel="noopener noreferrer">
                {l.label}
              </a>
            </li>
          ))}
        </ul>
      )}
      {sub && !mine && <SubscriptionPanel creator={c} subscription={sub} />}
      {tiers.length > 0 && (
        <section aria-labelledby="tiers-title">
          <h2 id="tiers-title" className="creator-h2">
            Tiers
          </h2>
          <ul className="tier-list">
            {tiers.map((t) => (
              <li key={t.id} className="card tier">
                <h3 className="tier-name">{t.name}</h3>
                {t.description && <p>{t.description}</p>}
                <p className="tier-price">{credits(t.bundles['1'])} a month</p>
                {t.priceNext !== null && t.priceNextAt && (
                  <p className="hint">
                    {credits(t.priceNext)} a month from {dateText(t.priceNextAt)}
                  </p>
                )}
                <ul className="tier-bundles">
                  {bundleOptions(t)
                    .filter((b) => b.months > 1)
                    .map((b) => (
                      <li key={b.months}>
                        {b.months} months: {credits(b.price)}
                        {b.discount > 0 && ` (${b.discount}% off)`}
                      </li>
                    ))}
                </ul>
                {!mine && !subscribed && (
                  <button type="button" className="btn btn-primary" onClick={() => setSubscribing(t.id)}>
                    Subscribe to {t.name}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="posts-title">
        <h2 id="posts-title" className="creator-h2">
          Posts
        </h2>
        <PostList
          query={posts}
          empty={`${c.displayName} has not posted yet.`}
          authorOf={() => ({ name: c.displayName, handle: c.handle, tiers: c.tiers })}
          onSubscribe={!mine && !subscribed && tiers.length > 0 ? () => setSubscribing(tiers[0]!.id) : undefined}
          onFollow={!mine && !c.viewer.follows ? () => void follow(true) : undefined}
        />
      </section>
      {subscribing && <SubscribeDialog creator={c} initialTier={subscribing} onClose={() => setSubscribing(null)} />}
      {tipping && <TipDialog creatorId={c.userId} name={c.displayName} limits={c.tipLimits} onClose={() => setTipping(false)} />}
    </section>
  );
}
