import { useState } from 'react';
import { api } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { Dialog } from './dialog.js';

/** "Block Ada?" with what a block does; PUT /api/blocks/:userId on confirm. */
export function BlockDialog({ peer, onClose, onBlocked }: { peer: { id: string; displayName: string }; onClose: () => void; onBlocked: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const block = async () => {
    setBusy(true);
    setError(null);
    try {
      await api(`/api/blocks/${peer.id}`, { method: 'PUT' });
      onBlocked();
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Block ${peer.displayName}?`} onClose={onClose}>
      {() => (
        <>
          <p>
            {peer.displayName} will not be able to message you, call you, see when you are online or be matched with you, and you will not see them either. They
            are not told. You can unblock them later in Settings.
          </p>
          {error !== null && (
            <p className="form-error" role="alert">
              {errorText(error)}
            </p>
          )}
          <div className="dialog-actions">
            <button type="button" className="btn btn-secondary" onClick={onClose} autoFocus>
              Cancel
            </button>
            <button type="button" className="btn btn-danger" onClick={() => void block()} disabled={busy}>
              {busy ? 'Blocking…' : `Block ${peer.displayName}`}
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}
