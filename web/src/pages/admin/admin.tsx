import { NavLink, Navigate, Route, Routes } from 'react-router';
import { AdminLiveProvider, LiveStatus } from './live.js';
import { Dashboard } from './dashboard.js';
import { OnlineUsers } from './online.js';
import { Ledger } from './ledger.js';
import { Payments } from './payments.js';
import { DeadLetters } from './dead-letters.js';
import { Verifications } from './verification.js';
import { AdminPayouts } from './payouts.js';
import { AdminAccess } from './access.js';
import { AdminReports } from './reports.js';
import { AdminUsers } from './users.js';
import { AdminAudit } from './audit.js';
import { ModerationQueue } from './moderation.js';
import { AdminRisk } from './risk.js';
import { AdminAnalyticsPage } from './analytics.js';
import './admin.css';

const TABS = [
  { to: '/admin', label: 'Dashboard', end: true },
  { to: '/admin/online', label: 'Online users' },
  { to: '/admin/ledger', label: 'Ledger' },
  { to: '/admin/payments', label: 'Payments' },
  { to: '/admin/dead-letters', label: 'Dead letters' },
  { to: '/admin/verification', label: 'Verification' },
  { to: '/admin/payouts', label: 'Payouts' },
  { to: '/admin/reports', label: 'Reports' },
  { to: '/admin/users', label: 'Users' },
  { to: '/admin/audit', label: 'Audit log' },
  { to: '/admin/moderation', label: 'Moderation' },
  { to: '/admin/risk', label: 'Risk' },
  { to: '/admin/analytics', label: 'Analytics' },
];

/** The /admin/* area: one live /admin socket for every tab, and a sub-nav. */
export default function Admin() {
  return (
    <AdminAccess>
      <AdminLiveProvider>
        <div className="admin">
          <div className="admin-bar">
            <nav aria-label="Admin" className="admin-nav">
              {TABS.map((t) => (
                <NavLink key={t.to} to={t.to} end={t.end}>
                  {t.label}
                </NavLink>
              ))}
            </nav>
            <LiveStatus />
          </div>
          <Routes>
            <Route index element={<Dashboard />} />
            <Route path="online" element={<OnlineUsers />} />
            <Route path="ledger" element={<Ledger />} />
            <Route path="payments" element={<Payments />} />
            <Route path="dead-letters" element={<DeadLetters />} />
            <Route path="verification" element={<Verifications />} />
            <Route path="payouts" element={<AdminPayouts />} />
            <Route path="reports" element={<AdminReports />} />
            <Route path="users" element={<AdminUsers />} />
            <Route path="audit" element={<AdminAudit />} />
            <Route path="moderation" element={<ModerationQueue />} />
            <Route path="risk" element={<AdminRisk />} />
            <Route path="analytics" element={<AdminAnalyticsPage />} />
            <Route path="*" element={<Navigate to="/admin" replace />} />
          </Routes>
        </div>
      </AdminLiveProvider>
    </AdminAccess>
  );
}
