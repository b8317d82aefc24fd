import { useState } from 'react';
import { Link } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import type { MessageAttachment } from '../../../shared/chat.js';
import type { MediaView } from '../../../shared/media.js';
import type { PriceChanged } from '../../../shared/prices.js';
import { api, ApiError } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { creditsText } from '../lib/chat-format.js';
import { keys, useWallet } from '../lib/queries.js';
import { putView, useMediaView } from '../lib/media-view.js';
import { Media } from './media.js';
import { Dialog } from './chat-dialogs.js';

/**
 * A message's photo or video, fetched by its media id (GET /api/media/:id).
 * A pay-to-view one the reader has not paid for is its blurred preview with
 * the price and an unlock button; the sender sees what it costs the other.
 */
export function AttachmentView({ attachment, messageId, mine, peerName }: { attachment: MessageAttachment; messageId: string | null; mine: boolean; peerName: string }) {
  const [unlocking, setUnlocking] = useState(false);
  const view = useMediaView(attachment.mediaId).data;
  const kind = view?.mime?.startsWith('video/') ? 'video' : 'photo';
  const alt = mine ? `Your ${kind}` : `${kind === 'video' ? 'Video' : 'Photo'} from ${peerName}`;
  return (
    <figure className="chat-attachment">
      <Media
        id={attachment.mediaId}
        alt={alt}
        className="chat-media"
        sizes="(max-width: 520px) 75vw, 320px"
        locked={
          <>
            <p className="chat-locked-title">Pay-to-view {kind}</p>
            {messageId && (
              <button type="button" className="btn btn-primary" onClick={() => setUnlocking(true)}>
                Unlock for {creditsText(attachment.price)}
              </button>
            )}
          </>
        }
      />
      {mine && attachment.price > 0 && <figcaption className="chat-ptv">Pay-to-view · {creditsText(attachment.price)}</figcaption>}
      {unlocking && messageId && <UnlockDialog messageId={messageId} price={attachment.price} kind={kind} peerName={peerName} onClose={() => setUnlocking(false)} />}
    </figure>
  );
}

/**
 * "Unlock this photo for 30 credits?" with the balance; POST
 * /api/messages/:id/unlock at the price shown. A different price
 * (PRICE_CHANGED) is shown and asked again; too few credits lead to the wallet.
 */
function UnlockDialog({ messageId, price: shown, kind, peerName, onClose }: { messageId: string; price: number; kind: string; peerName: string; onClose: () => void }) {
  const qc = useQueryClient();
  const wallet = useWallet();
  const [price, setPrice] = useState(shown);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const available = wallet.data?.available;
  const code = error instanceof ApiError ? error.code : null;

  const unlock = async () => {
    setBusy(true);
    setError(null);
    try {
      const res = await api<{ media: MediaView; charged: number; replayed: boolean }>(`/api/messages/${messageId}/unlock`, { body: { expectedPrice: price } });
      putView(qc, res.media);
      void qc.invalidateQueries({ queryKey: keys.wallet });
      onClose();
    } catch (err) {
      const changed = err instanceof ApiError && err.code === 'PRICE_CHANGED' ? (err.details as PriceChanged | undefined)?.price : undefined;
      if (typeof changed === 'number') setPrice(changed);
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Dialog title={`Unlock this ${kind}?`} onClose={onClose}>
      {() => (
        <>
          {code === 'PRICE_CHANGED' ? (
            <p role="alert">
              The price changed: this {kind} now costs {creditsText(price)}. Unlock it at the new price?
            </p>
          ) : (
            <p>
              {peerName} asks {creditsText(price)} to see this {kind}. You pay once and can see it again whenever you like.
            </p>
          )}
          {available !== undefined && <p className="hint">You have {creditsText(available)}.</p>}
          {code === 'INSUFFICIENT_CREDITS' ? (
            <p className="form-error" role="alert">
              You do not have enough credits for this ({creditsText(price)}). Nothing was charged. <Link to="/wallet">Buy credits</Link>
            </p>
          ) : (
            error !== null &&
            code !== 'PRICE_CHANGED' && (
              <p className="form-error" role="alert">
                {errorText(error)}
              </p>
            )
          )}
          <div className="chat-dialog-actions">
            <button type="button" className="btn btn-secondary" onClick={onClose}>
              Cancel
            </button>
            <button type="button" className="btn btn-primary" onClick={() => void unlock()} disabled={busy} autoFocus>
              {busy ? 'Unlocking…' : `Unlock · ${creditsText(price)}`}
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}
