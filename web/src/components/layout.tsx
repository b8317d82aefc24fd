import { Suspense, useEffect, useRef, type ReactNode } from 'react';
import { lazyPage } from '../lib/lazy-page.js';
import { NavLink, useLocation } from 'react-router';
import { useSession } from '../lib/session.js';
import { useSocket } from '../lib/socket.js';
import { useWallet } from '../lib/queries.js';
import { errorText } from '../lib/error-text.js';
import { ChatsBadge } from './chat-badge.js';
import { NotificationBell } from './notification-bell.js';
import { VerifyBanner } from './verify-banner.js';

// Creator pushes (tips, subscription changes) as toasts on every page, loaded after the first paint.
const CreatorLive = lazyPage(() => import('./creator-live.js'));

function ConnectionBanner() {
  const { user } = useSession();
  const { state, refusal } = useSocket();
  if (!user || state === 'connected' || state === 'connecting') return null;
  return (
    <div className="banner" role="status" aria-live="polite">
      {state === 'refused' && refusal ? errorText(refusal) : 'Reconnecting… messages you send will go out when the connection is back.'}
    </div>
  );
}

function Balance() {
  const wallet = useWallet();
  if (!wallet.data) return null;
  return (
    <NavLink to="/wallet" className="nav-balance" aria-label={`Wallet: ${wallet.data.available} credits`}>
      <span aria-hidden="true">◈</span> <span data-testid="nav-balance">{wallet.data.available.toLocaleString()}</span>
    </NavLink>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { user, logout } = useSession();
  const nav = useRef<HTMLElement>(null);
  const { pathname } = useLocation();
  // On a phone the links are one row that scrolls sideways (styles.css): keep the current page's in view.
  useEffect(() => {
    nav.current?.querySelector('a.active')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [pathname]);
  // ...and fade the side that has more links out of sight, so a link cut at the edge reads as "scroll for more".
  useEffect(() => {
    const el = nav.current;
    if (!el) return;
    const mark = () => {
      el.dataset.moreLeft = String(el.scrollLeft > 1);
      el.dataset.moreRight = String(el.scrollLeft + el.clientWidth < el.scrollWidth - 1);
    };
    // The row's width, a link's (a badge, the balance once loaded), and links coming or going change what is hidden.
    const resized = new ResizeObserver(mark);
    const watch = () => {
      resized.observe(el);
      for (const child of el.children) resized.observe(child);
      mark();
    };
    const changed = new MutationObserver(watch);
    watch();
    changed.observe(el, { childList: true });
    el.addEventListener('scroll', mark, { passive: true });
    return () => {
      resized.disconnect();
      changed.disconnect();
      el.removeEventListener('scroll', mark);
    };
  }, [user]);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand" aria-label="Pairly home">
          <span className="brand-mark" aria-hidden="true" />
          Pairly
        </NavLink>
        {user && user.role !== 'admin' && (
          // Beside the brand, outside the links' row: on a phone that row scrolls sideways, and the bell must
          // stay in sight whatever page is open (styles.css puts the links under it there).
          <div className="topbar-tools">
            <NotificationBell />
          </div>
        )}
        {user ? (
          <nav aria-label="Main" className="nav" ref={nav}>
            {user.role === 'admin' ? (
              <NavLink to="/admin">Admin</NavLink>
            ) : (
              <>
                <NavLink to="/discover">Discover</NavLink>
                <NavLink to="/matches">Matches</NavLink>
                <NavLink to="/chats">
                  Chats
                  <ChatsBadge />
                </NavLink>
                <NavLink to="/random">Random</NavLink>
                <NavLink to="/feed">Feed</NavLink>
                <NavLink to="/creators">Creators</NavLink>
                {user.role === 'creator' && <NavLink to="/studio">Studio</NavLink>}
                {user.role === 'creator' && <NavLink to="/earnings">Earnings</NavLink>}
                {user.role === 'creator' && <NavLink to="/mass-messages">Mass messages</NavLink>}
                {user.role === 'creator' && <NavLink to="/payouts">Payouts</NavLink>}
                <NavLink to="/settings">Settings</NavLink>
                <Balance />
              </>
            )}
            <button
              type="button"
              className="btn btn-link"
              onClick={() => void logout()}
            >
              Log out
            </button>
          </nav>
        ) : (
          <nav aria-label="Main" className="nav">
            <NavLink to="/login">Log in</NavLink>
            <NavLink to="/signup" className="btn btn-primary">
              Join Pairly
            </NavLink>
          </nav>
        )}
      </header>
      <ConnectionBanner />
      <VerifyBanner />
      <main id="main">{children}</main>
      {user && user.role !== 'admin' && (
        <Suspense fallback={null}>
          <CreatorLive />
        </Suspense>
      )}
    </>
  );
}
