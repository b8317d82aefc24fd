import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import type { ReportOutcome, StandingChange } from '../../../shared/reports.js';
import { ACTION_TEXT, fromStanding, rememberSuspension } from '../lib/moderation-text.js';
import { useSocketEvent } from '../lib/socket.js';
import './standing-watcher.css';

/**
 * An admin's decision on the signed-in person, live: a suspension or ban opens the suspended screen (the session
 * ends right after, on every device); a warning or a removal is shown until dismissed, and so is the outcome
 * of a report they sent (report:decided), with the way to their reports.
 */
export function StandingWatcher() {
  const navigate = useNavigate();
  const [notice, setNotice] = useState<StandingChange | null>(null);
  const [decided, setDecided] = useState<ReportOutcome | null>(null);
  useSocketEvent('report:decided', setDecided);
  const onStanding = (c: StandingChange) => {
    const suspension = fromStanding(c);
    if (!suspension) return setNotice(c.action === 'restore' ? null : c);
    rememberSuspension(suspension, sessionStorage);
    navigate('/suspended');
  };
  useSocketEvent('account:standing', onStanding);
  if (decided && !notice) {
    return (
      <div className="card standing-notice" role="status">
        <p>
          A moderator reviewed a report you sent: {decided.status === 'dismissed' ? 'no rule was broken.' : 'action was taken.'} <Link to="/reports">Your reports</Link>
        </p>
        <button type="button" className="btn btn-secondary" onClick={() => setDecided(null)}>
          Dismiss
        </button>
      </div>
    );
  }
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
