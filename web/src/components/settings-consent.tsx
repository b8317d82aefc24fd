import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { WhoCanMessage } from '../../../shared/profiles.js';
import { api } from '../lib/api.js';
import type { OwnProfile } from '../lib/profile-format.js';
import { keys } from '../lib/queries.js';
import { ErrorNote, FormError, Loading } from './ui.js';

const CHOICES: { value: WhoCanMessage; label: string; hint: string }[] = [
  { value: 'matches', label: 'Only my matches', hint: 'People you both liked, creators you follow, and anyone you wrote to first.' },
  { value: 'everyone', label: 'Everyone', hint: 'Anyone who has not been blocked can write to you and call you.' },
];

/** Who may message and call me (PUT /api/profile/preferences whoCanMessage); creators set theirs on their page instead. */
export function SettingsConsent() {
  const qc = useQueryClient();
  const profile = useQuery({ queryKey: keys.profile, queryFn: async () => (await api<{ profile: OwnProfile }>('/api/profile')).profile });
  const save = useMutation({
    mutationFn: async (whoCanMessage: WhoCanMessage) => (await api<{ profile: OwnProfile }>('/api/profile/preferences', { method: 'PUT', body: { whoCanMessage } })).profile,
    onSuccess: (saved) => qc.setQueryData(keys.profile, saved),
  });
  const current = save.isPending ? save.variables : profile.data?.preferences.whoCanMessage;

  return (
    <section className="card settings-card" aria-labelledby="settings-consent-title">
      <h2 id="settings-consent-title">Who can message and call me</h2>
      {profile.isPending ? (
        <Loading label="Loading your choice" />
      ) : profile.isError ? (
        <ErrorNote error={profile.error} retry={() => void profile.refetch()} />
      ) : (
        <fieldset className="settings-choices" disabled={save.isPending}>
          <legend className="visually-hidden">Who can message and call me</legend>
          {CHOICES.map((c) => (
            <label key={c.value} className="settings-choice">
              <input type="radio" name="who-can-message" value={c.value} checked={current === c.value} onChange={() => save.mutate(c.value)} />
              <span>
                <span className="settings-row-title">{c.label}</span>
                <span className="hint">{c.hint}</span>
              </span>
            </label>
          ))}
        </fieldset>
      )}
      <FormError error={save.error} />
      <p role="status" className="settings-saved">
        {save.isSuccess ? 'Saved.' : ''}
      </p>
    </section>
  );
}
