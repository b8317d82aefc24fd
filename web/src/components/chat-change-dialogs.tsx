import { useId, useState, type FormEvent } from 'react';
import { MAX_MESSAGE_LENGTH, type MessageView } from '../../../shared/chat.js';
import { errorText } from '../lib/error-text.js';
import { creditsText, messagePreview } from '../lib/chat-format.js';
import { Dialog } from './dialog.js';

/** Editing my message's text; the price paid for it does not change and nothing is charged again. */
export function EditDialog({ message, onClose, onSave }: { message: MessageView; onClose: () => void; onSave: (body: string) => Promise<void> }) {
  const [body, setBody] = useState(message.body);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const fieldId = useId();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!body.trim()) return setError('Write something, or delete the message instead.');
    setBusy(true);
    setError(null);
    try {
      await onSave(body);
      onClose();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title="Edit message" onClose={onClose}>
      {() => (
        <form onSubmit={(e) => void submit(e)}>
          <div className="field">
            <label htmlFor={fieldId}>Message</label>
            <textarea id={fieldId} rows={3} value={body} maxLength={MAX_MESSAGE_LENGTH} onChange={(e) => setBody(e.target.value)} autoFocus />
          </div>
          <p className="field-hint">Both of you will see that it was edited.{message.price > 0 ? ' Nothing is charged again.' : ''}</p>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          <div className="dialog-actions">
            <button type="button" className="btn btn-secondary" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? 'Saving…' : 'Save'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

/** Delete for me, or (my own message) for everyone; a paid message is not refunded, and the dialog says so. */
export function DeleteDialog({ message, mine, onClose, onDelete }: { message: MessageView; mine: boolean; onClose: () => void; onDelete: (scope: 'me' | 'everyone') => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const paid = message.price + (message.attachment?.price ?? 0);
  const run = async (scope: 'me' | 'everyone') => {
    setBusy(true);
    setError(null);
    try {
      await onDelete(scope);
      onClose();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title="Delete message?" onClose={onClose}>
      {() => (
        <>
          {!message.deleted && <p className="chat-delete-preview">“{messagePreview(message).slice(0, 80)}”</p>}
          <p>
            Delete for me hides it from your chats only.
            {mine && !message.deleted && ' Delete for everyone removes it for both of you and leaves “This message was deleted” in its place.'}
          </p>
          {mine && paid > 0 && !message.deleted && <p className="chat-delete-paid">The {creditsText(paid)} paid for this message are not refunded by deleting it.</p>}
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          <div className="dialog-actions">
            <button type="button" className="btn btn-secondary" onClick={onClose} autoFocus>
              Cancel
            </button>
            <button type="button" className="btn btn-secondary" onClick={() => void run('me')} disabled={busy}>
              Delete for me
            </button>
            {mine && !message.deleted && (
              <button type="button" className="btn btn-danger" onClick={() => void run('everyone')} disabled={busy}>
                Delete for everyone
              </button>
            )}
          </div>
        </>
      )}
    </Dialog>
  );
}
