import { useEffect, useId, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { MAX_ATTACHMENT_PRICE, type MessageAttachment } from '../../../shared/chat.js';
import { api } from '../lib/api.js';
import { useSocket } from '../lib/socket.js';
import { acceptOf, percentText } from '../lib/media-files.js';
import { putView, useUploadState } from '../lib/media-view.js';
import type { UploadState, UploadTask } from '../lib/upload.js';
import { startUpload } from '../lib/upload-browser.js';
import { ClipIcon } from './chat-icons.js';
import { Media } from './media.js';

/** The composer's one attachment: its upload, and a creator's price to view it. */
export interface Attachment {
  task: UploadTask | null;
  state: UploadState | null;
  /** Processed: it can be sent. */
  ready: boolean;
  canSell: boolean;
  price: string;
  setPrice: (price: string) => void;
  priceError: string | null;
  pick: (file: File) => void;
  /** The person does not want it: an upload under way is cancelled, an uploaded item deleted. */
  discard: () => void;
  /** Sending: what goes into chat:send; the tray empties and the item is kept (it now belongs to the message). */
  take: () => MessageAttachment | null;
}

const unfinished = (s: UploadState | null) => s !== null && (s.phase === 'starting' || s.phase === 'sending' || s.phase === 'processing');

/** Cancels an upload under way, or deletes an item that was uploaded and never sent. */
function drop(task: UploadTask | null): void {
  if (!task) return;
  const s = task.snapshot();
  if (unfinished(s)) return task.cancel();
  const id = s.phase === 'ready' || s.phase === 'rejected' ? s.media.id : s.phase === 'failed' ? s.mediaId : null;
  if (id) void api(`/api/media/${id}`, { method: 'DELETE' }).catch(() => undefined);
}

function priceProblem(canSell: boolean, price: string): string | null {
  if (!canSell || price.trim() === '') return null;
  const n = Number(price);
  return Number.isInteger(n) && n >= 0 && n <= MAX_ATTACHMENT_PRICE ? null : `Enter a whole number of credits from 0 to ${MAX_ATTACHMENT_PRICE.toLocaleString('en')}.`;
}

export function useAttachment(canSell: boolean): Attachment {
  const qc = useQueryClient();
  const { socket } = useSocket();
  const [task, setTask] = useState<UploadTask | null>(null);
  const [price, setPrice] = useState('0');
  const state = useUploadState(task);
  const current = useRef<UploadTask | null>(null);
  current.current = task;
  // Leaving the thread: an attachment that was not sent is not kept.
  useEffect(() => () => drop(current.current), []);

  return {
    task,
    state,
    ready: state?.phase === 'ready',
    canSell,
    price,
    setPrice,
    priceError: priceProblem(canSell, price),
    pick: (file) => {
      drop(current.current);
      setPrice('0');
      setTask(startUpload(file, 'message_attachment', { events: socket, onView: (m) => putView(qc, m) }));
    },
    discard: () => {
      drop(current.current);
      setTask(null);
    },
    take: () => {
      if (state?.phase !== 'ready') return null;
      setTask(null);
      setPrice('0');
      return { mediaId: state.media.id, price: canSell && price.trim() !== '' ? Number(price) : 0 };
    },
  };
}

/** The paper clip beside the message box: picks one photo or video. */
export function AttachButton({ attach }: { attach: Attachment }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <input
        ref={input}
        type="file"
        accept={acceptOf('message_attachment')}
        hidden
        data-testid="chat-attach-input"
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) attach.pick(f);
          e.target.value = '';
        }}
      />
      {/* One attachment per message: another can be picked only in place of one that failed. */}
      <button
        type="button"
        className="btn btn-secondary chat-attach-btn"
        onClick={() => input.current?.click()}
        disabled={attach.task !== null && attach.state?.phase !== 'failed' && attach.state?.phase !== 'rejected'}
        title="Attach a photo or video"
      >
        <ClipIcon />
        <span className="visually-hidden">Attach a photo or video</span>
      </button>
    </>
  );
}

/** The attachment above the box: progress and cancel while it uploads, then its thumbnail, and a creator's price. */
export function AttachmentTray({ attach, peerName }: { attach: Attachment; peerName: string }) {
  const priceId = useId();
  const { task, state } = attach;
  if (!task || !state) return null;
  const name = task.file.name || 'your file';
  const problem = state.phase === 'rejected' || state.phase === 'failed' ? state.message : null;
  return (
    <div className="chat-attach" role="group" aria-label="Attachment">
      <div className="chat-attach-thumb">
        {state.phase === 'ready' ? <Media media={state.media} alt={`Your attachment, ${name}`} sizes="64px" /> : <ClipIcon size={24} />}
      </div>
      <div className="chat-attach-main">
        <p className="chat-attach-name">{name}</p>
        {state.phase === 'sending' && <progress className="chat-attach-progress" max={state.total} value={state.loaded} aria-label={`Uploading ${name}`} />}
        <p className={`chat-attach-status${problem ? ' problem' : ''}`} role={problem ? 'alert' : 'status'}>
          {state.phase === 'sending'
            ? `Uploading… ${percentText(state.loaded, state.total)}`
            : state.phase === 'starting'
              ? 'Starting the upload…'
              : state.phase === 'processing'
                ? 'Processing…'
                : state.phase === 'ready'
                  ? 'Ready to send'
                  : problem
                    ? `Not sent: ${problem}`
                    : ''}
        </p>
        {attach.canSell && !problem && (
          <div className="chat-attach-price">
            <label htmlFor={priceId}>Price to view (credits)</label>
            <input
              id={priceId}
              type="number"
              inputMode="numeric"
              min={0}
              max={MAX_ATTACHMENT_PRICE}
              step={1}
              value={attach.price}
              onChange={(e) => attach.setPrice(e.target.value)}
              aria-invalid={attach.priceError ? true : undefined}
              aria-describedby={`${priceId}-hint`}
            />
            <small id={`${priceId}-hint`} className={attach.priceError ? 'field-error' : 'hint'}>
              {attach.priceError ?? `0 is free. Otherwise ${peerName} sees a blurred preview until they pay.`}
            </small>
          </div>
        )}
      </div>
      <button type="button" className="btn btn-link chat-attach-remove" onClick={attach.discard}>
        {unfinished(state) ? 'Cancel upload' : 'Remove'}
        <span className="visually-hidden"> {name}</span>
      </button>
    </div>
  );
}
