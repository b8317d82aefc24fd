import { useId, useState, type FormEvent } from 'react';
import { REPORT_REASONS, type ReportReason, type ReportSubject } from '../../../shared/reports.js';
import { api } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { REASON_TEXT } from '../lib/moderation-text.js';
import { Dialog } from './dialog.js';

/**
 * Reporting anything people show each other (a message, a profile, a post, a random session) with a reason and
 * an optional note: POST /api/reports. The server keeps what is reported as it is now, for the moderators.
 */
export function ReportDialog({ subject, id, title, quote, onClose, onReported }: { subject: ReportSubject; id: string; title: string; quote?: string; onClose: () => void; onReported: () => void }) {
  const [reason, setReason] = useState<ReportReason | ''>('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const reasonId = useId();
  const noteId = useId();
  const errId = useId();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!reason) return setError('Choose what is wrong.');
    setBusy(true);
    setError(null);
    try {
      await api('/api/reports', { body: { subject, id, reason, ...(note.trim() ? { note: note.trim() } : {}) } });
      onReported();
      onClose();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} onClose={onClose}>
      {() => (
        <form className="form" onSubmit={(e) => void submit(e)} noValidate>
          {quote && <blockquote className="chat-dialog-quote">{quote}</blockquote>}
          <div className="field">
            <label htmlFor={reasonId}>What is wrong?</label>
            <select id={reasonId} value={reason} onChange={(e) => setReason(e.target.value as ReportReason)} aria-invalid={error ? true : undefined} aria-describedby={error ? errId : undefined} autoFocus>
              <option value="">Choose a reason</option>
              {REPORT_REASONS.map((r) => (
                <option key={r} value={r}>
                  {REASON_TEXT[r]}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={noteId}>Anything to add? (optional)</label>
            <textarea id={noteId} rows={3} maxLength={1000} value={note} onChange={(e) => setNote(e.target.value)} />
          </div>
          {error && (
            <p id={errId} className="field-error" role="alert">
              {error}
            </p>
          )}
          <p className="hint">Our moderators see what you report as it is now, and your reason. They do not tell the person who reported them.</p>
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
