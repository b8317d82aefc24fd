import { Suspense, useEffect, useRef, type ReactNode } from 'react';
import { lazyPage } from './lib/lazy-page.js';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { SessionProvider, useSession } from './lib/session.js';
import { SocketProvider } from './lib/socket.js';
import { ApiError } from './lib/api.js';
import { Layout } from './components/layout.js';
import { MatchMomentProvider } from './components/profile-match.js';
import { Loading } from './components/ui.js';
import { StandingWatcher } from './components/standing-watcher.js';
import { Landing } from './pages/landing.js';
import { Login, Signup } from './pages/auth.js';
import OidcCallback, { OidcLink } from './pages/oidc.js';
// Eager: the login page shows it for a suspended account.
import Suspended from './pages/suspended.js';
import { rememberedSuspension } from './lib/moderation-text.js';

// Pages past the front door load on demand, keeping the first load small.
const Onboarding = lazyPage(() => import('./pages/onboarding.js'));
const Discover = lazyPage(() => import('./pages/discover.js'));
const Matches = lazyPage(() => import('./pages/matches.js'));
const PublicProfile = lazyPage(() => import('./pages/public-profile.js'));
const Conversations = lazyPage(() => import('./pages/conversations.js'));
const Thread = lazyPage(() => import('./pages/thread.js'));
const RandomMatch = lazyPage(() => import('./pages/random.js'));
const Wallet = lazyPage(() => import('./pages/wallet.js'));
const Earnings = lazyPage(() => import('./pages/earnings.js'));
const Settings = lazyPage(() => import('./pages/settings.js'));
const Admin = lazyPage(() => import('./pages/admin/admin.js'));
const CallLayer = lazyPage(() => import('./components/call-layer.js'));
const Creators = lazyPage(() => import('./pages/creators.js'));
const Search = lazyPage(() => import('./pages/search.js'));
const CreatorPage = lazyPage(() => import('./pages/creator.js'));
const Feed = lazyPage(() => import('./pages/feed.js'));
const Studio = lazyPage(() => import('./pages/studio.js'));
const TrialClaim = lazyPage(() => import('./pages/trial.js'));
const Verification = lazyPage(() => import('./pages/verification.js'));
const MassMessages = lazyPage(() => import('./pages/mass-messages.js'));
const Payouts = lazyPage(() => import('./pages/payouts.js'));
// Opened from mails, signed in or not.
const VerifyEmail = lazyPage(() => import('./pages/verify-email.js'));
const ConfirmEmail = lazyPage(() => import('./pages/confirm-email.js'));
const ConfirmLogin = lazyPage(() => import('./pages/confirm-login.js'));
const ForgotPassword = lazyPage(() => import('./pages/forgot-password.js'));
const ResetPassword = lazyPage(() => import('./pages/reset-password.js'));
const Outbox = lazyPage(() => import('./pages/outbox.js'));
const MyReports = lazyPage(() => import('./pages/my-reports.js'));
const Notifications = lazyPage(() => import('./pages/notifications.js'));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // A refusal will not change by asking again; a network failure or 5xx may.
      retry: (count, err) => count < 2 && !(err instanceof ApiError && err.status >= 400 && err.status < 500),
      refetchOnWindowFocus: true,
    },
  },
});

function RequireAuth({ children, admin = false }: { children: ReactNode; admin?: boolean }) {
  const { user } = useSession();
  const location = useLocation();
  // Signed out by a suspension in this tab: its screen, not the login (a sign-in that works forgets it).
  if (!user && rememberedSuspension(sessionStorage)) return <Navigate to="/suspended" replace />;
  if (!user) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (admin && user.role !== 'admin') return <Navigate to="/" replace />;
  return <>{children}</>;
}

function Home() {
  const { user } = useSession();
  if (!user) return <Landing />;
  return <Navigate to={user.role === 'admin' ? '/admin' : '/discover'} replace />;
}

/** Another person's data must never show: the cache is emptied whenever the signed-in user changes. */
function ForgetOnUserChange() {
  const { user } = useSession();
  const qc = useQueryClient();
  const last = useRef(user?.id);
  useEffect(() => {
    if (last.current !== user?.id) qc.clear();
    last.current = user?.id;
  }, [user?.id, qc]);
  return null;
}

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <SessionProvider>
        <ForgetOnUserChange />
        <SocketProvider>
          {/* No transitions: while a page's code loads, its place shows the loading state, not the page left
              behind, which otherwise stays up and takes the typing meant for the new one. */}
          <BrowserRouter useTransitions={false}>
            <Layout>
              <StandingWatcher />
              <MatchMomentProvider>
                <Suspense fallback={<Loading />}>
                  <Routes>
                    <Route path="/" element={<Home />} />
                    <Route path="/signup" element={<Signup />} />
                    <Route path="/login" element={<Login />} />
                    <Route path="/verify-email" element={<VerifyEmail />} />
                    <Route path="/confirm-email" element={<ConfirmEmail />} />
                    <Route path="/confirm-login" element={<ConfirmLogin />} />
                    <Route path="/forgot-password" element={<ForgotPassword />} />
                    <Route path="/reset-password" element={<ResetPassword />} />
                    <Route path="/oidc/callback" element={<OidcCallback />} />
                    <Route path="/oidc/link" element={<OidcLink />} />
                    <Route path="/outbox" element={<Outbox />} />
                    <Route path="/suspended" element={<Suspended />} />
                    <Route path="/onboarding" element={<RequireAuth><Onboarding /></RequireAuth>} />
                    <Route path="/discover" element={<RequireAuth><Discover /></RequireAuth>} />
                    <Route path="/matches" element={<RequireAuth><Matches /></RequireAuth>} />
                    <Route path="/u/:userId" element={<RequireAuth><PublicProfile /></RequireAuth>} />
                    <Route path="/chats" element={<RequireAuth><Conversations /></RequireAuth>} />
                    <Route path="/chats/:conversationId" element={<RequireAuth><Thread /></RequireAuth>} />
                    <Route path="/random" element={<RequireAuth><RandomMatch /></RequireAuth>} />
                    <Route path="/wallet" element={<RequireAuth><Wallet /></RequireAuth>} />
                    <Route path="/earnings" element={<RequireAuth><Earnings /></RequireAuth>} />
                    <Route path="/settings" element={<RequireAuth><Settings /></RequireAuth>} />
                    <Route path="/creators" element={<RequireAuth><Creators /></RequireAuth>} />
                    <Route path="/search" element={<RequireAuth><Search /></RequireAuth>} />
                    <Route path="/c/:handle" element={<RequireAuth><CreatorPage /></RequireAuth>} />
                    <Route path="/feed" element={<RequireAuth><Feed /></RequireAuth>} />
                    <Route path="/bookmarks" element={<RequireAuth><Feed bookmarks /></RequireAuth>} />
                    <Route path="/studio" element={<RequireAuth><Studio /></RequireAuth>} />
                    <Route path="/trial/:code" element={<RequireAuth><TrialClaim /></RequireAuth>} />
                    <Route path="/verification" element={<RequireAuth><Verification /></RequireAuth>} />
                    <Route path="/mass-messages" element={<RequireAuth><MassMessages /></RequireAuth>} />
                    <Route path="/payouts" element={<RequireAuth><Payouts /></RequireAuth>} />
                    <Route path="/reports" element={<RequireAuth><MyReports /></RequireAuth>} />
                    <Route path="/notifications" element={<RequireAuth><Notifications /></RequireAuth>} />
                    <Route path="/admin/*" element={<RequireAuth admin><Admin /></RequireAuth>} />
                    <Route path="*" element={<NotFound />} />
                  </Routes>
                </Suspense>
              </MatchMomentProvider>
              <Suspense fallback={null}>
                <SignedInOnly>
                  <CallLayer />
                </SignedInOnly>
              </Suspense>
            </Layout>
          </BrowserRouter>
        </SocketProvider>
      </SessionProvider>
    </QueryClientProvider>
  );
}

function SignedInOnly({ children }: { children: ReactNode }) {
  const { user } = useSession();
  return user && user.role !== 'admin' ? <>{children}</> : null;
}

function NotFound() {
  return (
    <section className="page narrow">
      <h1 className="page-title">Page not found</h1>
      <p>
        <a href="/">Back to Pairly</a>
      </p>
    </section>
  );
}
