import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { MessageAttachment } from '../../../shared/chat.js';
import type { MediaView } from '../../../shared/media.js';
import { api } from '../lib/api.js';
import { creditsText } from '../lib/chat-format.js';
import { putView, useMediaView } from '../lib/media-view.js';
import { Media } from './media.js';
import { PayDialog } from './pay-dialog.js';

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
 * "Unlock this photo?" through the one consent step (PayDialog): the price and the balance; POST
 * /api/messages/:id/unlock at the price shown; a changed price is shown and asked again, too few
 * credits lead to the wallet.
 */
function UnlockDialog({ messageId, price, kind, peerName, onClose }: { messageId: string; price: number; kind: string; peerName: string; onClose: () => void }) {
  const qc = useQueryClient();
  const pay = async (expectedPrice: number) => {
    const res = await api<{ media: MediaView; charged: number; replayed: boolean }>(`/api/messages/${messageId}/unlock`, { body: { expectedPrice } });
    putView(qc, res.media);
  };
  return (
    <PayDialog title={`Unlock this ${kind}?`} price={price} pay={pay} onClose={onClose} action="Unlock">
      <p>
        {peerName} asks {creditsText(price)} to see this {kind}. You pay once and can see it again whenever you like.
      </p>
    </PayDialog>
  );
}
