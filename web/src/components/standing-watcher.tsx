import { useState } from 'react';
import { useNavigate } from 'react-router';
import type { StandingChange } from '../../../shared/reports.js';
import { ACTION_TEXT, fromStanding, rememberSuspension } from '../lib/moderation-text.js';
import { useSocketEvent } from '../lib/socket.js';
import './standing-watcher.css';

/**
 * An admin's decision on the signed-in person, live: a suspension or ban opens the suspended screen (the session
 * ends right after, on every device); a warning or a removal is shown until dismissed.
 */
export function StandingWatcher() {
  const navigate = useNavigate();
  const [notice, setNotice] = useState<StandingChange | null>(null);
  useSocketEvent('account:standing', (c) => {
    const suspension = fromStanding(c);
    if (!suspension) return setNotice(c.action === 'restore' ? null : c);
    rememberSuspension(suspension, sessionStorage);
    navigate('/suspended');
  });
  if (!notice) return null;
  return (
    <div className="card standing-notice" role="alert">
      <p>
        <strong>{ACTION_TEXT[notice.action]} by a moderator.</strong> {notice.reason}
      </p>
      <button type="button" className="btn btn-secondary" onClick={() => setNotice(null)}>
        Dismiss
      </button>
    </div>
  );
}
