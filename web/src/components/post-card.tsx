import { useId, useState, type FormEvent } from 'react';
import { ReportDialog } from './report-dialog.js';
import { Link } from 'react-router';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { COMMENT_BODY_MAX, type CommentView, type PostView } from '../../../shared/posts.js';
import { api } from '../lib/api.js';
import { dateText, unlockText, visibilityText } from '../lib/creators-format.js';
import { creatorKeys, patchPost, removePost, replacePost } from '../lib/creators-queries.js';
import { putView } from '../lib/media-view.js';
import { useSession } from '../lib/session.js';
import { Media } from './media.js';
import { PayDialog } from './pay-dialog.js';
import { ErrorNote, FormError } from './ui.js';

/** Who wrote the post, as the list knows it (a creator page passes its own; the feed shows a link by id). */
export interface PostAuthor {
  name: string;
  handle?: string | null;
  tiers?: { rank: number; name: string; archived: boolean }[];
}

/**
 * One post: its text and media in full, or locked (blurred previews, no
 * body) with what opens it: follow, a tier, or an unlock at the viewer's
 * price. Like, bookmark and comments below; its creator gets pin, edit and
 * delete.
 */
export function PostCard({ post, author, onSubscribe, onFollow }: { post: PostView; author: PostAuthor; onSubscribe?: () => void; onFollow?: () => void }) {
  const { user } = useSession();
  const qc = useQueryClient();
  const mine = user?.id === post.creatorId;
  const [unlocking, setUnlocking] = useState(false);
  const [showComments, setShowComments] = useState(false);
  const [editing, setEditing] = useState(false);
  const [reporting, setReporting] = useState(false);
  const [reported, setReported] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const titleId = useId();

  const act = async (fn: () => Promise<void>) => {
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    }
  };
  const like = () =>
    act(async () => {
      const r = await api<{ liked: boolean; likes: number }>(`/api/posts/${post.id}/like`, { method: post.liked ? 'DELETE' : 'PUT' });
      patchPost(qc, post.id, r);
    });
  const bookmark = () =>
    act(async () => {
      const r = await api<{ bookmarked: boolean }>(`/api/posts/${post.id}/bookmark`, { method: post.bookmarked ? 'DELETE' : 'PUT' });
      patchPost(qc, post.id, r);
      void qc.invalidateQueries({ queryKey: creatorKeys.bookmarks });
    });
  const pin = () =>
    act(async () => {
      const r = await api<{ post: PostView }>(`/api/posts/${post.id}/pin`, { method: post.pinned ? 'DELETE' : 'PUT' });
      replacePost(qc, r.post);
      void qc.invalidateQueries({ queryKey: creatorKeys.posts(post.creatorId) });
    });
  const remove = () =>
    act(async () => {
      if (!window.confirm('Delete this post? People who bought it keep it; everyone else loses it.')) return;
      await api(`/api/posts/${post.id}`, { method: 'DELETE' });
      removePost(qc, post.id);
    });

  const lockedOver = (
    <div className="post-locked">
      <p className="post-locked-title">{unlockText(post.unlock, author.tiers)}</p>
      {post.unlock?.kind === 'ppv' && (
        <button type="button" className="btn btn-primary" onClick={() => setUnlocking(true)}>
          Unlock for {post.unlock.price.toLocaleString('en')} credits
        </button>
      )}
      {post.unlock?.kind === 'tier' && onSubscribe && (
        <button type="button" className="btn btn-primary" onClick={onSubscribe}>
          Subscribe
        </button>
      )}
      {post.unlock?.kind === 'follow' && onFollow && (
        <button type="button" className="btn btn-primary" onClick={onFollow}>
          Follow
        </button>
      )}
      {post.unlock && !onSubscribe && post.unlock.kind !== 'ppv' && author.handle && <Link to={`/c/${author.handle}`}>Open the creator’s page</Link>}
    </div>
  );

  return (
    <article className="card post" aria-labelledby={titleId} data-testid="post">
      <header className="post-head">
        <h3 id={titleId} className="post-author">
          {author.handle ? <Link to={`/c/${author.handle}`}>{author.name}</Link> : author.name}
        </h3>
        <span className="post-meta">
          <time dateTime={post.publishedAt}>{dateText(post.publishedAt)}</time>
          {post.pinned && ' · Pinned'}
          {post.scheduled && ' · Scheduled'}
          {mine && ` · ${visibilityText(post.visibility)}`}
          {post.paid !== null && post.paid > 0 && ` · You paid ${post.paid.toLocaleString('en')} credits`}
        </span>
      </header>
      {post.locked && post.media.length === 0 ? lockedOver : null}
      {post.body && <p className="post-body">{post.body}</p>}
      {post.media.length > 0 && (
        <div className={`post-media count-${Math.min(post.media.length, 3)}`}>
          {post.media.map((m, i) => (
            <Media
              key={m.id}
              media={m}
              alt={`${author.name}’s post, ${m.mime?.startsWith('video/') ? 'video' : 'photo'} ${i + 1} of ${post.media.length}`}
              className="post-photo"
              locked={i === 0 ? lockedOver : <span className="visually-hidden">Locked</span>}
            />
          ))}
        </div>
      )}
      <div className="post-actions">
        <button type="button" className="btn btn-link" aria-pressed={post.liked} onClick={() => void like()} disabled={post.locked}>
          {post.liked ? '♥ Liked' : '♡ Like'} · {post.likes}
        </button>
        {post.commentsEnabled && !post.locked && (
          <button type="button" className="btn btn-link" aria-expanded={showComments} onClick={() => setShowComments((v) => !v)}>
            Comments · {post.comments}
          </button>
        )}
        <button type="button" className="btn btn-link" aria-pressed={post.bookmarked} onClick={() => void bookmark()}>
          {post.bookmarked ? 'Bookmarked' : 'Bookmark'}
        </button>
        {mine && (
          <>
            <button type="button" className="btn btn-link" onClick={() => setEditing((v) => !v)} aria-expanded={editing}>
              Edit
            </button>
            <button type="button" className="btn btn-link" onClick={() => void pin()}>
              {post.pinned ? 'Unpin' : 'Pin'}
            </button>
            <button type="button" className="btn btn-link danger" onClick={() => void remove()}>
              Delete
            </button>
          </>
        )}
        {!mine && !reported && (
          <button type="button" className="btn btn-link" onClick={() => setReporting(true)}>
            Report
          </button>
        )}
      </div>
      {reported && <p role="status">Thank you. Our moderators will look at this post.</p>}
      {reporting && <ReportDialog subject="post" id={post.id} title="Report this post" quote={post.body ?? undefined} onClose={() => setReporting(false)} onReported={() => setReported(true)} />}
      <FormError error={error} />
      {editing && <EditPost post={post} onDone={() => setEditing(false)} />}
      {showComments && <Comments post={post} />}
      {unlocking && post.unlock?.kind === 'ppv' && (
        <PayDialog
          title="Unlock this post?"
          price={post.unlock.price}
          action="Pay"
          onClose={() => setUnlocking(false)}
          pay={async (expectedPrice) => {
            const r = await api<{ post: PostView }>(`/api/posts/${post.id}/unlock`, { body: { expectedPrice } });
            for (const m of r.post.media) putView(qc, m);
            replacePost(qc, r.post);
          }}
        >
          <p>
            {author.name} asks {post.unlock.price.toLocaleString('en')} credits for this post. You pay once and keep it, even if it is deleted later.
          </p>
        </PayDialog>
      )}
    </article>
  );
}

/** A creator's edit of their post: the text and comments on or off (PATCH /api/posts/:id; who may see it stays as composed). */
function EditPost({ post, onDone }: { post: PostView; onDone: () => void }) {
  const qc = useQueryClient();
  const id = useId();
  const [body, setBody] = useState(post.body ?? '');
  const [comments, setComments] = useState(post.commentsEnabled);
  const [error, setError] = useState<unknown>(null);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await api<{ post: PostView }>(`/api/posts/${post.id}`, { method: 'PATCH', body: { body, commentsEnabled: comments } });
      replacePost(qc, r.post);
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="form" onSubmit={(e) => void save(e)} aria-label="Edit post">
      <div className="field">
        <label htmlFor={id}>Post text</label>
        <textarea id={id} value={body} rows={3} onChange={(e) => setBody(e.target.value)} />
      </div>
      <label className="radio">
        <input type="checkbox" checked={comments} onChange={(e) => setComments(e.target.checked)} /> Allow comments
      </label>
      <FormError error={error} />
      <button type="submit" className="btn btn-primary">
        Save post
      </button>{' '}
      <button type="button" className="btn btn-secondary" onClick={onDone}>
        Cancel
      </button>
    </form>
  );
}

function Comments({ post }: { post: PostView }) {
  const { user } = useSession();
  const qc = useQueryClient();
  const inputId = useId();
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const list = useInfiniteQuery({
    queryKey: creatorKeys.comments(post.id),
    queryFn: ({ pageParam }) => api<{ comments: CommentView[]; nextCursor: string | null }>(`/api/posts/${post.id}/comments?limit=20${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const comments = list.data?.pages.flatMap((p) => p.comments) ?? [];

  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      await api(`/api/posts/${post.id}/comments`, { body: { body: text.trim() } });
      setText('');
      patchPost(qc, post.id, { comments: post.comments + 1 });
      await list.refetch();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (c: CommentView) => {
    setError(null);
    try {
      await api(`/api/posts/${post.id}/comments/${c.id}`, { method: 'DELETE' });
      patchPost(qc, post.id, { comments: Math.max(0, post.comments - 1) });
      await list.refetch();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className="post-comments" aria-label="Comments">
      {list.isPending ? (
        <p className="hint" role="status">
          Loading comments…
        </p>
      ) : list.isError && comments.length === 0 ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : comments.length === 0 ? (
        <p className="hint">No comments yet.</p>
      ) : (
        <ul className="post-comment-list">
          {comments.map((c) => (
            <li key={c.id}>
              <span>{c.body}</span>{' '}
              {(c.authorId === user?.id || post.creatorId === user?.id) && (
                <button type="button" className="btn btn-link" onClick={() => void remove(c)}>
                  Delete<span className="visually-hidden"> comment</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <button type="button" className="btn btn-link" onClick={() => void list.fetchNextPage()}>
          Older comments
        </button>
      )}
      <form className="post-comment-form" onSubmit={(e) => void add(e)}>
        <label htmlFor={inputId} className="visually-hidden">
          Add a comment
        </label>
        <input id={inputId} value={text} maxLength={COMMENT_BODY_MAX} onChange={(e) => setText(e.target.value)} placeholder="Add a comment" />
        <button type="submit" className="btn btn-secondary" disabled={busy || !text.trim()}>
          Post
        </button>
      </form>
      <FormError error={error} />
    </section>
  );
}

/** A paged list of posts with "Load more"; loading, empty and error states. */
export function PostList({
  query,
  authorOf,
  empty,
  onSubscribe,
  onFollow,
}: {
  query: ReturnType<typeof import('../lib/creators-queries.js').usePosts>;
  authorOf: (post: PostView) => PostAuthor;
  empty: string;
  onSubscribe?: () => void;
  onFollow?: () => void;
}) {
  const posts = query.data?.pages.flatMap((p) => p.posts) ?? [];
  if (query.isPending) return <p className="state state-loading" role="status">Loading posts…</p>;
  if (query.isError && posts.length === 0) return <ErrorNote error={query.error} retry={() => void query.refetch()} />;
  if (posts.length === 0) return <p className="state state-empty">{empty}</p>;
  return (
    <div className="post-list">
      {posts.map((p) => (
        <PostCard key={p.id} post={p} author={authorOf(p)} onSubscribe={onSubscribe} onFollow={onFollow} />
      ))}
      {query.hasNextPage && (
        <button type="button" className="btn btn-secondary more" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          {query.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
    </div>
  );
}
