import { useRef, useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { POST_BODY_MAX, POST_MEDIA_MAX, type PostView, type PostVisibility } from '../../../shared/posts.js';
import type { TierView } from '../../../shared/creators.js';
import { api } from '../lib/api.js';
import { publishAtOf, visibilityOf } from '../lib/creators-format.js';
import { creatorKeys } from '../lib/creators-queries.js';
import { acceptOf, percentText } from '../lib/media-files.js';
import { putView, useUploadState } from '../lib/media-view.js';
import { useSocket } from '../lib/socket.js';
import type { UploadTask } from '../lib/upload.js';
import { startUpload } from '../lib/upload-browser.js';
import { Media } from './media.js';
import { LabeledField, StudioCard, useAction } from './studio-form.js';
import { FormError } from './ui.js';

/**
 * The post composer: text, up to 10 photos or videos (each uploaded with
 * its progress and processed before the post can go), who may see it, a
 * publish time, comments on or off. POST /api/posts.
 */
export function StudioComposer({ creatorId, tiers }: { creatorId: string; tiers: TierView[] }) {
  const qc = useQueryClient();
  const { socket } = useSocket();
  const input = useRef<HTMLInputElement>(null);
  const [body, setBody] = useState('');
  const [tasks, setTasks] = useState<UploadTask[]>([]);
  const [kind, setKind] = useState<PostVisibility['kind']>('free');
  const [minTierRank, setMinTierRank] = useState(String(tiers.find((t) => !t.archived)?.rank ?? 1));
  const [price, setPrice] = useState('');
  const [subscriberPrice, setSubscriberPrice] = useState('');
  const [publishAt, setPublishAt] = useState('');
  const [comments, setComments] = useState(true);
  const [problem, setProblem] = useState<string | null>(null);
  const [posted, setPosted] = useState(false);
  const action = useAction();
  // Re-render when any upload moves (each row subscribes to its own task too).
  const [, setTick] = useState(0);

  const add = (files: FileList | null) => {
    if (!files) return;
    const room = POST_MEDIA_MAX - tasks.length;
    const picked = [...files].slice(0, room).map((f) => {
      const task = startUpload(f, 'post_media', { events: socket, onView: (m) => putView(qc, m) });
      task.subscribe(() => setTick((n) => n + 1));
      return task;
    });
    setTasks((t) => [...t, ...picked]);
    setProblem(files.length > room ? `A post takes up to ${POST_MEDIA_MAX} photos or videos.` : null);
  };
  const removeTask = (task: UploadTask) => {
    const s = task.snapshot();
    if (s.phase === 'starting' || s.phase === 'sending' || s.phase === 'processing') task.cancel();
    setTasks((t) => t.filter((x) => x !== task));
  };
  const ready = tasks.map((t) => t.snapshot()).every((s) => s.phase === 'ready');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setPosted(false);
    const v = visibilityOf({ kind, minTierRank, price, subscriberPrice });
    if ('error' in v) return setProblem(v.error);
    const when = publishAtOf(publishAt, Date.now());
    if (when === 'past') return setProblem('Choose a publish time in the future, or leave it empty to publish now.');
    const mediaIds = tasks.map((t) => t.snapshot()).flatMap((s) => (s.phase === 'ready' ? [s.media.id] : []));
    if (!body.trim() && mediaIds.length === 0) return setProblem('Write something or add a photo or video.');
    setProblem(null);
    const ok = await action.run(() =>
      api<{ post: PostView }>('/api/posts', { body: { body, mediaIds, visibility: v.visibility, commentsEnabled: comments, ...(when ? { publishAt: when } : {}) } }),
    );
    if (!ok) return;
    setBody('');
    setTasks([]);
    setPublishAt('');
    setPosted(true);
    void qc.invalidateQueries({ queryKey: creatorKeys.posts(creatorId) });
  };

  return (
    <StudioCard title="New post">
      <form className="form" onSubmit={(e) => void submit(e)}>
        <LabeledField label="Text">{(c) => <textarea {...c} value={body} maxLength={POST_BODY_MAX} rows={3} onChange={(e) => setBody(e.target.value)} />}</LabeledField>
        <input ref={input} type="file" multiple accept={acceptOf('post_media')} hidden data-testid="post-media-input" onChange={(e) => (add(e.target.files), (e.target.value = ''))} />
        <button type="button" className="btn btn-secondary" onClick={() => input.current?.click()} disabled={tasks.length >= POST_MEDIA_MAX}>
          Add photos or videos
        </button>
        {tasks.length > 0 && (
          <ul className="studio-media" aria-label="Post media">
            {tasks.map((t, i) => (
              <UploadRow key={i + t.file.name} task={t} n={i + 1} onRemove={() => removeTask(t)} />
            ))}
          </ul>
        )}
        <LabeledField label="Who can see it">
          {(c) => (
            <select {...c} value={kind} onChange={(e) => setKind(e.target.value as PostVisibility['kind'])}>
              <option value="free">Everyone</option>
              <option value="followers">Followers</option>
              <option value="tier">Subscribers of a tier and up</option>
              <option value="ppv">Pay-per-view</option>
            </select>
          )}
        </LabeledField>
        {kind === 'tier' && (
          <LabeledField label="Lowest tier">
            {(c) => (
              <select {...c} value={minTierRank} onChange={(e) => setMinTierRank(e.target.value)}>
                {tiers
                  .filter((t) => !t.archived)
                  .map((t) => (
                    <option key={t.id} value={t.rank}>
                      {t.name} (tier {t.rank}) and up
                    </option>
                  ))}
              </select>
            )}
          </LabeledField>
        )}
        {kind === 'ppv' && (
          <>
            <LabeledField label="Price (credits)">{(c) => <input {...c} type="number" min={1} inputMode="numeric" value={price} onChange={(e) => setPrice(e.target.value)} />}</LabeledField>
            <LabeledField label="Price for subscribers (optional; 0 makes it free to them)">
              {(c) => <input {...c} type="number" min={0} inputMode="numeric" value={subscriberPrice} onChange={(e) => setSubscriberPrice(e.target.value)} />}
            </LabeledField>
          </>
        )}
        <LabeledField label="Publish at (optional)">{(c) => <input {...c} type="datetime-local" value={publishAt} onChange={(e) => setPublishAt(e.target.value)} />}</LabeledField>
        <label className="radio">
          <input type="checkbox" checked={comments} onChange={(e) => setComments(e.target.checked)} /> Allow comments
        </label>
        {problem && (
          <p className="form-error" role="alert">
            {problem}
          </p>
        )}
        <FormError error={action.error} />
        {posted && <p role="status">Posted.</p>}
        <button type="submit" className="btn btn-primary" disabled={action.busy || !ready}>
          {!ready ? 'Waiting for uploads…' : action.busy ? 'Posting…' : publishAt ? 'Schedule post' : 'Post'}
        </button>
      </form>
    </StudioCard>
  );
}

function UploadRow({ task, n, onRemove }: { task: UploadTask; n: number; onRemove: () => void }) {
  const s = useUploadState(task);
  const name = task.file.name || `file ${n}`;
  return (
    <li>
      {s?.phase === 'ready' ? <Media media={s.media} alt={`Post media ${n}, ${name}`} sizes="120px" /> : <div className="media media-empty" />}
      {s?.phase === 'sending' && <progress max={s.total} value={s.loaded} aria-label={`Uploading ${name}`} />}
      <p className="hint" role="status">
        {s?.phase === 'sending'
          ? `Uploading… ${percentText(s.loaded, s.total)}`
          : s?.phase === 'processing' || s?.phase === 'starting'
            ? 'Processing…'
            : s?.phase === 'ready'
              ? 'Ready'
              : s?.phase === 'rejected' || s?.phase === 'failed'
                ? s.message
                : ''}
      </p>
      <button type="button" className="btn btn-link" onClick={onRemove}>
        Remove<span className="visually-hidden"> {name}</span>
      </button>
    </li>
  );
}
