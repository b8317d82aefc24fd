import { useId, useState, type FormEvent } from 'react';
import type { MessageView } from '../../../shared/chat.js';
import { reportBody } from '../../../shared/chat.js';
import { api } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { fieldErrorsOf } from '../lib/form.js';
import { messagePreview } from '../lib/chat-format.js';
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

/** Reporting one message with a reason (POST /api/messages/:id/report); the server keeps a copy for moderators. */
export function ReportDialog({ message, onClose, onReported }: { message: MessageView; onClose: () => void; onReported: () => void }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const fieldId = useId();
  const errId = useId();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { errors, data } = fieldErrorsOf(reportBody, { reason });
    if (!data) {
      setError(errors.reason ? 'Tell us what is wrong with this message.' : 'Check the reason.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api(`/api/messages/${message.id}/report`, { body: data });
      onReported();
      onClose();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title="Report this message" onClose={onClose}>
      {() => (
        <form className="form" onSubmit={(e) => void submit(e)} noValidate>
          <blockquote className="chat-dialog-quote">{messagePreview(message)}</blockquote>
          <div className="field">
            <label htmlFor={fieldId}>What is wrong with it?</label>
            <textarea
              id={fieldId}
              rows={3}
              maxLength={1000}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? errId : undefined}
              placeholder="For example: harassment, spam, a scam, someone under 18"
              autoFocus
            />
            {error && (
              <small id={errId} className="field-error" role="alert">
                {error}
              </small>
            )}
          </div>
          <p className="hint">Our moderators see this message and your reason. {`They are not told who reported them.`}</p>
          <div className="dialog-actions">
            <button type="button" className="btn btn-secondary" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? 'Sending…' : 'Send report'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
