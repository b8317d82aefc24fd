import { useEffect, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { updateMeBody, type PublicUser } from '../../../shared/auth.js';
import { api } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { fieldErrorsOf, fieldErrorsOfApi, type FieldErrors } from '../lib/form.js';
import { useSession } from '../lib/session.js';
import { Field } from './ui.js';

/** The display name (PATCH /api/me) and the way to the rest of the profile (onboarding). */
export function SettingsProfile() {
  const { user, userChanged } = useSession();
  const [name, setName] = useState(user?.displayName ?? '');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  // A change made on another device (me:updated) shows here unless this form has unsaved edits;
  // only a change of the stored name runs this, hence the one dependency.
  const [base, setBase] = useState(user?.displayName ?? '');
  useEffect(() => {
    if (!user) return;
    if (name === base) setName(user.displayName);
    setBase(user.displayName);
  }, [user?.displayName]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setSaved(false);
    const checked = fieldErrorsOf(updateMeBody, { displayName: name });
    setErrors(checked.errors);
    if (!checked.data) return;
    setBusy(true);
    try {
      const res = await api<{ user: PublicUser }>('/api/me', { method: 'PATCH', body: { displayName: name } });
      userChanged(res.user);
      setName(res.user.displayName);
      setSaved(true);
    } catch (err) {
      setErrors(fieldErrorsOfApi(err));
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  if (!user) return null;
  return (
    <section className="card settings-card" aria-labelledby="settings-profile-title">
      <h2 id="settings-profile-title">Profile</h2>
      <form className="form" onSubmit={submit} noValidate>
        <Field
          label="Display name"
          autoComplete="nickname"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            setSaved(false);
          }}
          error={errors.displayName}
          hint="The name people see on your profile and in chats."
          maxLength={50}
          required
        />
        <p className="settings-fact">
          <span className="hint">Email</span> {user.email}
        </p>
        {error != null && Object.keys(errors).length === 0 && (
          <p className="form-error" role="alert">
            {errorText(error)}
          </p>
        )}
        <div className="settings-actions">
          <button type="submit" className="btn btn-primary" disabled={busy || name.trim() === user.displayName}>
            {busy ? 'Saving…' : 'Save name'}
          </button>
          <span role="status" className="settings-saved">
            {saved ? 'Saved.' : ''}
          </span>
        </div>
      </form>
      <p className="settings-more">
        <Link to="/onboarding">Edit your profile, preferences and compatibility questions</Link>
      </p>
    </section>
  );
}
