import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { AdminLive, type LiveView } from '../../lib/admin-live.js';
import { errorText } from '../../lib/error-text.js';
import { refresher } from '../../lib/session.js';

const LiveContext = createContext<AdminLive | null>(null);

/** One /admin socket for every admin tab, opened while the admin area is mounted. */
export function AdminLiveProvider({ children }: { children: ReactNode }) {
  const [live] = useState(
    () =>
      new AdminLive({
        accessToken: () => refresher.accessToken(),
        refreshNow: () => refresher.refreshNow(),
        endSession: () => refresher.clear(),
      }),
  );
  useEffect(() => {
    live.open();
    return () => live.close();
  }, [live]);
  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}

export function useAdminLive(): { live: AdminLive; view: LiveView } {
  const live = useContext(LiveContext);
  if (!live) throw new Error('useAdminLive outside AdminLiveProvider');
  const view = useSyncExternalStore(live.subscribe, live.get);
  return { live, view };
}

const STATE_TEXT: Record<LiveView['state'], string> = {
  connecting: 'Connecting…',
  connected: 'Live',
  reconnecting: 'Reconnecting…',
  refused: 'Refused',
  closed: 'Offline',
};

/** The live feed's connection state, announced when it changes. */
export function LiveStatus() {
  const { view } = useAdminLive();
  return (
    <p className={`live-status live-${view.state}`} role="status" aria-live="polite">
      <span className="live-dot" aria-hidden="true" />
      <span>
        {STATE_TEXT[view.state]}
        {view.state === 'refused' && view.refusal ? `: ${errorText(view.refusal)}` : ''}
      </span>
    </p>
  );
}
