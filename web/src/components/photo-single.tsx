import { useId, useRef } from 'react';
import type { MediaKind, MediaView } from '../../../shared/media.js';
import { acceptOf, percentText } from '../lib/media-files.js';
import { useUploadState } from '../lib/media-view.js';
import type { UploadState, UploadTask } from '../lib/upload.js';
import { Media } from './media.js';

export interface Single {
  mediaId: string | null;
  view: MediaView | null;
  task: UploadTask | null;
  uploading: boolean;
  problem: string | null;
}

export const singleOf = (view: MediaView | null): Single => ({ mediaId: view?.id ?? null, view, task: null, uploading: false, problem: null });

/** One picture of a kind (a creator's avatar or cover): upload, replace, remove; saved with the editor's Save. */
export function SingleSlot({
  label,
  hint,
  kind,
  value,
  onChange,
  upload,
  round = false,
}: {
  label: string;
  hint: string;
  kind: 'avatar' | 'cover';
  value: Single;
  onChange: (fn: (s: Single) => Single) => void;
  upload: (file: File, kind: MediaKind, onState: (task: UploadTask, s: UploadState) => void) => UploadTask;
  round?: boolean;
}) {
  const input = useRef<HTMLInputElement>(null);
  const headingId = useId();
  const state = useUploadState(value.task);
  const sending = state?.phase === 'sending' ? state : null;

  const pick = (file: File) => {
    const task = upload(file, kind, (t, s) =>
      onChange((cur) => {
        if (cur.task !== t) return cur;
        if (s.phase === 'ready') return { ...cur, mediaId: s.media.id, view: s.media, uploading: false, problem: null };
        if (s.phase === 'rejected' || s.phase === 'failed') return { ...cur, uploading: false, problem: s.message };
        if (s.phase === 'cancelled') return { ...cur, uploading: false, task: null };
        return cur;
      }),
    );
    onChange((cur) => ({ ...cur, task, uploading: true, problem: null }));
  };

  return (
    <section className={`photo-single${round ? ' round' : ''}`} aria-labelledby={headingId}>
      <h3 id={headingId}>{label}</h3>
      <p className="hint">{hint}</p>
      <div className="photo-single-row">
        <div className="photo-thumb">
          {value.view && !value.uploading ? (
            <Media media={value.view} alt={`Your ${label.toLowerCase()}`} sizes="120px" />
          ) : (
            <div className="media media-empty">{state?.phase === 'processing' ? 'Processing…' : value.uploading ? 'Uploading…' : 'None'}</div>
          )}
        </div>
        <div className="photo-info">
          {sending && (
            <>
              <progress className="photo-progress" max={sending.total} value={sending.loaded} aria-label={`Uploading your ${label.toLowerCase()}`} />
              <p className="photo-status">Uploading… {percentText(sending.loaded, sending.total)}</p>
            </>
          )}
          {state?.phase === 'processing' && (
            <p className="photo-status" role="status">
              Processing…
            </p>
          )}
          {value.problem && <p className="photo-status photo-problem">Not used: {value.problem}</p>}
          <input
            ref={input}
            type="file"
            accept={acceptOf(kind)}
            hidden
            onChange={(ev) => {
              const f = ev.target.files?.[0];
              if (f) pick(f);
              ev.target.value = '';
            }}
          />
          <div className="photo-buttons">
            {value.uploading ? (
              <button type="button" className="btn btn-link photo-remove" onClick={() => value.task?.cancel()}>
                Cancel<span className="visually-hidden"> the {label.toLowerCase()} upload</span>
              </button>
            ) : (
              <>
                <button type="button" className="btn btn-secondary" onClick={() => input.current?.click()}>
                  {value.mediaId ? `Replace ${label.toLowerCase()}` : `Upload ${label.toLowerCase()}`}
                </button>
                {value.mediaId && (
                  <button type="button" className="btn btn-link photo-remove" onClick={() => onChange(() => singleOf(null))}>
                    Remove<span className="visually-hidden"> {label.toLowerCase()}</span>
                  </button>
                )}
              </>
            )}
          </div>
        </div>
      </div>
    </section>
  );
}
