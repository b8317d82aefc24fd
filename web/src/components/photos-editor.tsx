import { useEffect, useId, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { MAX_PROFILE_PHOTOS } from '../../../shared/profiles.js';
import type { MediaKind, MediaView } from '../../../shared/media.js';
import { api } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { keys } from '../lib/queries.js';
import { useSession } from '../lib/session.js';
import { useSocket, useSocketEvent } from '../lib/socket.js';
import { acceptOf, allowedTypesText, percentText, refusalText } from '../lib/media-files.js';
import { putView, useUploadState } from '../lib/media-view.js';
import { makePrimary, move, photosBody, roomLeft, savableIds, savedOf, statusOf, type PhotoEntry, type SavedPhotos } from '../lib/photo-list.js';
import { profileKeys, type OwnProfile } from '../lib/profile-format.js';
import type { UploadState, UploadTask } from '../lib/upload.js';
import { startUpload } from '../lib/upload-browser.js';
import { Media } from './media.js';
import { SingleSlot, singleOf, type Single } from './photo-single.js';
import './photos-editor.css';

interface Entry extends PhotoEntry {
  view: MediaView | null;
  task: UploadTask | null;
  /** Why it failed or was refused, in words. */
  problem: string | null;
}

const fromView = (view: MediaView): Entry => ({ key: view.id, mediaId: view.id, status: statusOf(view), view, task: null, problem: view.state === 'rejected' ? refusalText(view) : null });

/** An entry brought up to date with its upload. */
function withUpload(e: Entry, s: UploadState): Entry {
  switch (s.phase) {
    case 'starting':
      return e;
    case 'sending':
      return { ...e, mediaId: s.mediaId, status: 'uploading' };
    case 'processing':
      return { ...e, mediaId: s.mediaId, status: 'processing' };
    case 'ready':
      return { ...e, mediaId: s.media.id, status: 'ready', view: s.media, problem: null };
    case 'rejected':
      return { ...e, mediaId: s.media.id, status: 'rejected', view: s.media, problem: s.message };
    case 'failed':
      return { ...e, status: 'failed', problem: s.message };
    case 'cancelled':
      return e;
  }
}

/**
 * The owner's profile photos, in settings and in onboarding's profile step:
 * up to six, the first is the primary one. Add (progress, then "Processing…",
 * a refusal with its reason), move earlier or later, make primary, remove;
 * creators also set an avatar and a cover. Save sends PUT /api/profile/photos;
 * a removal takes effect at once (the photo off the profile, then its media
 * deleted).
 */
export function PhotosEditor({ profile, headingId }: { profile: OwnProfile; headingId?: string }) {
  const qc = useQueryClient();
  const { user } = useSession();
  const { socket } = useSocket();
  const [saved, setSaved] = useState<SavedPhotos>(() => savedOf(profile));
  const [entries, setEntries] = useState<Entry[]>(() => profile.photos.map(fromView));
  const [avatar, setAvatar] = useState<Single>(() => singleOf(profile.avatar?.kind === 'avatar' ? profile.avatar : null));
  const [cover, setCover] = useState<Single>(() => singleOf(profile.cover));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const focusNext = useRef<string | null>(null);
  const listId = useId();
  const tasks = useRef(new Set<UploadTask>());
  const isCreator = user?.role === 'creator';

  // Uploads still going when the editor closes would be lost anyway: cancelled, so nothing is left half-sent.
  useEffect(() => {
    const open = tasks.current;
    return () => open.forEach((t) => t.cancel());
  }, []);

  // A photo processing when the page opened (or on another device) is decided while it is open; one deleted elsewhere goes.
  useSocketEvent('media:updated', ({ media }) => {
    putView(qc, media);
    if (media.state === 'deleted') setEntries((list) => list.filter((e) => e.mediaId !== media.id));
    else setEntries((list) => list.map((e) => (e.mediaId === media.id && !e.task ? fromView(media) : e)));
  });

  useEffect(() => {
    if (!focusNext.current) return;
    document.getElementById(focusNext.current)?.focus();
    focusNext.current = null;
  });

  function upload(file: File, kind: MediaKind, onState: (task: UploadTask, s: UploadState) => void): UploadTask {
    const task = startUpload(file, kind, { events: socket, onView: (m) => putView(qc, m) });
    tasks.current.add(task);
    task.subscribe(() => onState(task, task.snapshot()));
    // A file refused before anything was sent (its type) has failed already.
    onState(task, task.snapshot());
    void task.done.finally(() => tasks.current.delete(task));
    return task;
  }

  function addFiles(files: File[]) {
    setError(null);
    const room = roomLeft(entries);
    const taken = files.slice(0, room);
    if (files.length > room) setNotice(room === 0 ? `You already have ${MAX_PROFILE_PHOTOS} photos. Remove one to add another.` : `Only ${room} more photo${room === 1 ? '' : 's'} fit: the first ${room} were added.`);
    else setNotice(taken.length === 1 ? 'Uploading your photo.' : `Uploading ${taken.length} photos.`);
    const fresh = taken.map((file): Entry => {
      const key = crypto.randomUUID();
      const task = upload(file, 'profile_photo', (_t, s) => {
        setEntries((list) => list.map((e) => (e.key === key ? withUpload(e, s) : e)));
        // Said as each upload ends (also to screen readers: the notice is a live region).
        if (s.phase === 'ready') setNotice(`${file.name} is ready. Save to show it on your profile.`);
        else if (s.phase === 'rejected' || s.phase === 'failed') setNotice(`${file.name} was not added: ${s.message}`);
      });
      return { key, mediaId: null, status: 'uploading', view: null, task, problem: null };
    });
    setEntries((list) => [...list, ...fresh]);
  }

  const draft: SavedPhotos = { photos: savableIds(entries), avatar: avatar.mediaId, cover: cover.mediaId };
  const body = photosBody(saved, draft);
  const uploading = entries.some((e) => e.status === 'uploading') || avatar.uploading || cover.uploading;

  function stored(p: OwnProfile) {
    qc.setQueryData<OwnProfile>(keys.profile, p);
    void qc.invalidateQueries({ queryKey: profileKeys.user(p.userId) });
    setSaved(savedOf(p));
    for (const m of [...p.photos, p.avatar, p.cover]) if (m) putView(qc, m);
  }

  async function save() {
    if (!body) return;
    setBusy(true);
    setError(null);
    try {
      const before = saved;
      const res = await api<{ profile: OwnProfile }>('/api/profile/photos', { method: 'PUT', body });
      stored(res.profile);
      // A replaced avatar or cover is no longer used anywhere: its files go.
      for (const old of [before.avatar !== draft.avatar ? before.avatar : null, before.cover !== draft.cover ? before.cover : null]) {
        if (old) void api(`/api/media/${old}`, { method: 'DELETE' }).catch(() => undefined);
      }
      setNotice('Photos saved. People see them on your profile.');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  /** Off the profile at once (if it was on it), then its media deleted. */
  async function remove(e: Entry, index: number) {
    setError(null);
    const unfinished = e.task !== null && ['starting', 'sending', 'processing'].includes(e.task.snapshot().phase);
    if (unfinished && !(e.mediaId && saved.photos.includes(e.mediaId))) {
      // Cancelling deletes what was sent.
      e.task!.cancel();
      setEntries((list) => list.filter((x) => x.key !== e.key));
      setNotice('Upload cancelled.');
      return;
    }
    setBusy(true);
    try {
      if (e.mediaId && saved.photos.includes(e.mediaId)) {
        const keep = saved.photos.filter((id) => id !== e.mediaId && entries.find((x) => x.mediaId === id)?.status !== 'rejected');
        stored((await api<{ profile: OwnProfile }>('/api/profile/photos', { method: 'PUT', body: { photos: keep } })).profile);
      }
      if (unfinished) e.task!.cancel();
      else if (e.mediaId) await api(`/api/media/${e.mediaId}`, { method: 'DELETE' }).catch(() => undefined);
      setEntries((list) => list.filter((x) => x.key !== e.key));
      setNotice(`Photo ${index + 1} removed.`);
      focusNext.current = `${listId}-add`;
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  function reorder(index: number, to: 'earlier' | 'later' | 'primary') {
    const e = entries[index]!;
    const next = to === 'primary' ? makePrimary(entries, index) : move(entries, index, to === 'earlier' ? -1 : 1);
    const at = next.findIndex((x) => x.key === e.key);
    setEntries(next);
    setNotice(`Photo moved to position ${at + 1} of ${next.length}${at === 0 ? ': it is your primary photo' : ''}. Save to keep the order.`);
    // The moved photo keeps the focus (its button, or the other one when this one no longer applies).
    const first = at === 0;
    const last = at === next.length - 1;
    focusNext.current = `${listId}-${e.key}-${to === 'later' ? (last ? 'earlier' : 'later') : first ? (last ? 'remove' : 'later') : 'earlier'}`;
  }

  return (
    <div className="photos-editor">
      <p className="hint photos-lead" id={`${listId}-lead`}>
        Up to {MAX_PROFILE_PHOTOS} photos ({allowedTypesText('profile_photo')}). The first one is your primary photo: it stands for you in Discover, chats and
        matches.
      </p>
      {entries.length > 0 ? (
        <ol className="photos-list" aria-labelledby={headingId}>
          {entries.map((e, i) => (
            <PhotoItem key={e.key} entry={e} index={i} count={entries.length} idBase={`${listId}-${e.key}`} busy={busy} onMove={(to) => reorder(i, to)} onRemove={() => void remove(e, i)} />
          ))}
        </ol>
      ) : (
        <p className="photos-none">No photos yet. Profiles with a photo get far more likes.</p>
      )}
      <input
        ref={input}
        type="file"
        accept={acceptOf('profile_photo')}
        multiple
        hidden
        onChange={(ev) => {
          addFiles([...(ev.target.files ?? [])]);
          ev.target.value = '';
        }}
      />
      <div className="photos-actions">
        <button type="button" id={`${listId}-add`} className="btn btn-secondary" onClick={() => input.current?.click()} disabled={roomLeft(entries) === 0} aria-describedby={`${listId}-lead`}>
          Add photos
        </button>
        <button type="button" className="btn btn-primary" onClick={() => void save()} disabled={busy || uploading || !body}>
          {busy ? 'Saving…' : 'Save photos'}
        </button>
        {uploading ? <span className="hint">Wait for the uploads to finish, then save.</span> : body ? <span className="hint">You have unsaved changes.</span> : null}
      </div>

      {isCreator && (
        <div className="photos-singles">
          <SingleSlot
            label="Avatar"
            hint="The round picture in lists and chats. Without one, your primary photo is used."
            kind="avatar"
            value={avatar}
            onChange={setAvatar}
            upload={upload}
            round
          />
          <SingleSlot label="Cover" hint="The banner across the top of your profile page." kind="cover" value={cover} onChange={setCover} upload={upload} />
        </div>
      )}

      <p className="photos-notice" role="status" aria-live="polite">
        {notice}
      </p>
      {error !== null && (
        <p className="form-error" role="alert">
          {errorText(error)}
        </p>
      )}
    </div>
  );
}

function PhotoItem({
  entry: e,
  index,
  count,
  idBase,
  busy,
  onMove,
  onRemove,
}: {
  entry: Entry;
  index: number;
  count: number;
  idBase: string;
  busy: boolean;
  onMove: (to: 'earlier' | 'later' | 'primary') => void;
  onRemove: () => void;
}) {
  const state = useUploadState(e.task);
  const n = index + 1;
  const what = `photo ${n}`;
  const sending = state?.phase === 'sending' ? state : null;
  const canMove = e.status !== 'rejected' && e.status !== 'failed';
  return (
    <li className={`photo-item photo-${e.status}`}>
      <div className="photo-thumb">
        {e.view && (e.status === 'ready' || e.status === 'processing') ? (
          <Media media={e.view} alt={`Your ${what}${index === 0 ? ' (primary)' : ''}`} sizes="120px" />
        ) : (
          <div className="media media-empty">{e.status === 'uploading' ? 'Uploading…' : e.status === 'processing' ? 'Processing…' : 'Not used'}</div>
        )}
      </div>
      <div className="photo-info">
        <p className="photo-label">
          Photo {n}
          {index === 0 && <span className="photo-primary">Primary</span>}
        </p>
        {sending ? (
          <>
            <progress className="photo-progress" max={sending.total} value={sending.loaded} aria-label={`Uploading ${what}`} />
            <p className="photo-status">Uploading… {percentText(sending.loaded, sending.total)}</p>
          </>
        ) : e.status === 'uploading' ? (
          <p className="photo-status">Starting the upload…</p>
        ) : e.status === 'processing' ? (
          <p className="photo-status" role="status">
            Processing…
          </p>
        ) : e.status === 'rejected' ? (
          <p className="photo-status photo-problem">Not accepted: {e.problem}</p>
        ) : e.status === 'failed' ? (
          <p className="photo-status photo-problem">Not uploaded: {e.problem}</p>
        ) : e.view?.moderation?.state === 'pending' ? (
          // Quarantined by moderation: usable, but shown to nobody else until a moderator decides.
          <p className="photo-status">Ready · waiting for a moderator: only you see it for now</p>
        ) : (
          <p className="photo-status">Ready</p>
        )}
        <div className="photo-buttons">
          {canMove && index > 0 && (
            <button type="button" id={`${idBase}-primary`} className="btn btn-link" onClick={() => onMove('primary')} disabled={busy}>
              Make primary<span className="visually-hidden"> ({what})</span>
            </button>
          )}
          {canMove && count > 1 && (
            <>
              <button type="button" id={`${idBase}-earlier`} className="btn btn-secondary photo-move" onClick={() => onMove('earlier')} disabled={busy || index === 0} aria-label={`Move ${what} earlier`}>
                ↑ Earlier
              </button>
              <button type="button" id={`${idBase}-later`} className="btn btn-secondary photo-move" onClick={() => onMove('later')} disabled={busy || index === count - 1} aria-label={`Move ${what} later`}>
                ↓ Later
              </button>
            </>
          )}
          <button type="button" id={`${idBase}-remove`} className="btn btn-link photo-remove" onClick={onRemove} disabled={busy && !sending}>
            {sending || e.status === 'uploading' ? 'Cancel' : 'Remove'}
            <span className="visually-hidden"> {what}</span>
          </button>
        </div>
      </div>
    </li>
  );
}
