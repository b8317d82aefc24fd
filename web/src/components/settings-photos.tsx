import { useQuery } from '@tanstack/react-query';
import { api } from '../lib/api.js';
import { keys } from '../lib/queries.js';
import type { OwnProfile } from '../lib/profile-format.js';
import { PhotosEditor } from './photos-editor.js';
import { ErrorNote, Loading } from './ui.js';

/** The profile photos card: the owner's profile (GET /api/profile, shared with onboarding) and the editor. */
export function SettingsPhotos() {
  const profile = useQuery({ queryKey: keys.profile, queryFn: async () => (await api<{ profile: OwnProfile }>('/api/profile')).profile });
  return (
    <section className="card settings-card settings-photos" aria-labelledby="settings-photos-title">
      <h2 id="settings-photos-title">Photos</h2>
      {profile.isPending ? (
        <Loading label="Loading your photos" />
      ) : profile.isError ? (
        <ErrorNote error={profile.error} retry={() => void profile.refetch()} />
      ) : (
        <PhotosEditor key={profile.data.userId} profile={profile.data} headingId="settings-photos-title" />
      )}
    </section>
  );
}
