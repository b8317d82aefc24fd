import { useState } from 'react';
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
  // The choice shows as made in the click's own render: the mutation's pending state arrives a tick later
  // (react-query notifies asynchronously), and meanwhile the controlled radio would flip back.
  const [choosing, setChoosing] = useState<WhoCanMessage | null>(null);
  const save = useMutation({
    mutationFn: async (whoCanMessage: WhoCanMessage) => (await api<{ profile: OwnProfile }>('/api/profile/preferences', { method: 'PUT', body: { whoCanMessage } })).profile,
    onSuccess: (saved) => qc.setQueryData(keys.profile, saved),
    onSettled: () => setChoosing(null),
  });
  const current = choosing ?? profile.data?.preferences.whoCanMessage;
  const choose = (value: WhoCanMessage) => {
    setChoosing(value);
    save.mutate(value);
  };

  return (
    <section className="card settings-card" aria-labelledby="settings-consent-title">
      <h2 id="settings-consent-title">Who can message and call me</h2>
      {profile.isPending ? (
        <Loading label="Loading your choice" />
      ) : profile.isError ? (
        <ErrorNote error={profile.error} retry={() => void profile.refetch()} />
      ) : (
        <fieldset className="settings-choices" disabled={choosing !== null}>
          <legend className="visually-hidden">Who can message and call me</legend>
          {CHOICES.map((c) => (
            <label key={c.value} className="settings-choice">
              <input type="radio" name="who-can-message" value={c.value} checked={current === c.value} onChange={() => choose(c.value)} />
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
