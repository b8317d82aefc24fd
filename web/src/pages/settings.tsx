import { PageTitle } from '../components/ui.js';
import { SettingsEmail, SettingsPassword } from '../components/settings-account.js';
import { SettingsDelete, SettingsExport } from '../components/settings-data.js';
import { SettingsBlocks } from '../components/settings-blocks.js';
import { SettingsNotifications } from '../components/settings-notifications.js';
import { SettingsConsent } from '../components/settings-consent.js';
import { SettingsPhotos } from '../components/settings-photos.js';
import { SettingsPrices } from '../components/settings-prices.js';
import { SettingsProfile } from '../components/settings-profile.js';
import { SettingsIdentities } from '../components/settings-identities.js';
import { SettingsSessions } from '../components/settings-sessions.js';
import { SettingsTwoFactor } from '../components/settings-two-factor.js';
import { useSession } from '../lib/session.js';
import { useSocketEvent } from '../lib/socket.js';
import './settings.css';

/** Settings: the name, photos, a creator's prices, who may message me, blocked people, email, password, two-factor sign-in, linked sign-ins (Google, Apple), where the account is logged in, a copy of my data and deleting the account. */
export default function Settings() {
  const { user, userChanged } = useSession();
  // A change saved on another device arrives here too (PATCH /api/me pushes me:updated to every device).
  useSocketEvent('me:updated', ({ user }) => userChanged(user));
  return (
    <section className="page settings">
      <PageTitle>Settings</PageTitle>
      <div className="settings-grid">
        <SettingsPhotos />
        <SettingsProfile />
        <SettingsPrices />
        {user?.role !== 'creator' && <SettingsConsent />}
        <SettingsNotifications />
        <SettingsBlocks />
        <SettingsEmail />
        <SettingsPassword />
        <SettingsTwoFactor />
        <SettingsIdentities />
        <SettingsSessions />
        <SettingsExport />
        <SettingsDelete />
      </div>
    </section>
  );
}
