import { useEffect, useState, type FormEvent } from 'react';
import { updateMeBody, type PublicUser } from '../../../shared/auth.js';
import { api } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { fieldErrorsOf, fieldErrorsOfApi, type FieldErrors } from '../lib/form.js';
import { useSession } from '../lib/session.js';
import { Field } from './ui.js';

const asNumber = (s: string) => (s.trim() === '' ? Number.NaN : Number(s));

/** A creator's prices: what a fan pays per message and per call minute (PATCH /api/me). */
export function SettingsPrices() {
  const { user, userChanged } = useSession();
  const [form, setForm] = useState({ messagePrice: String(user?.messagePrice ?? 0), callPricePerMinute: String(user?.callPricePerMinute ?? 0) });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  // Prices changed on another device (me:updated) replace the fields while nothing here is being edited.
  const stored = `${user?.messagePrice}/${user?.callPricePerMinute}`;
  const [base, setBase] = useState(stored);
  useEffect(() => {
    if (!user) return;
    if (`${form.messagePrice}/${form.callPricePerMinute}` === base) setForm({ messagePrice: String(user.messagePrice), callPricePerMinute: String(user.callPricePerMinute) });
    setBase(stored);
  }, [stored]);

  if (!user || user.role !== 'creator') return null;
  const values = { messagePrice: asNumber(form.messagePrice), callPricePerMinute: asNumber(form.callPricePerMinute) };
  const unchanged = values.messagePrice === user.messagePrice && values.callPricePerMinute === user.callPricePerMinute;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setSaved(false);
    const checked = fieldErrorsOf(updateMeBody, values);
    // The schema's own words ("Too small: expected number to be >=0") say less than this.
    setErrors(Object.fromEntries(Object.keys(checked.errors).map((k) => [k, 'Enter a whole number of credits from 0 to 100,000.'])));
    if (!checked.data) return;
    setBusy(true);
    try {
      const res = await api<{ user: PublicUser }>('/api/me', { method: 'PATCH', body: values });
      userChanged(res.user);
      setSaved(true);
    } catch (err) {
      setErrors(fieldErrorsOfApi(err));
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => {
    setForm({ ...form, [k]: e.target.value });
    setSaved(false);
  };

  return (
    <section className="card settings-card" aria-labelledby="settings-prices-title">
      <h2 id="settings-prices-title">Your prices</h2>
      <p className="hint settings-lead">
        Fans always see your price before they pay, and are charged only the price they saw. If you change a price, a fan who saw the old one is shown the new
        one and asked again. Calls already under way keep the price they started with. 0 makes it free.
      </p>
      <form className="form" onSubmit={submit} noValidate>
        <div className="settings-price-fields">
          <Field
            label="Price per message (credits)"
            type="number"
            inputMode="numeric"
            min={0}
            max={100000}
            step={1}
            value={form.messagePrice}
            onChange={set('messagePrice')}
            error={errors.messagePrice}
            hint="What a fan pays for each message they send you."
          />
          <Field
            label="Price per call minute (credits)"
            type="number"
            inputMode="numeric"
            min={0}
            max={100000}
            step={1}
            value={form.callPricePerMinute}
            onChange={set('callPricePerMinute')}
            error={errors.callPricePerMinute}
            hint="What a fan pays for each minute of a call with you."
          />
        </div>
        {error != null && Object.keys(errors).length === 0 && (
          <p className="form-error" role="alert">
            {errorText(error)}
          </p>
        )}
        <div className="settings-actions">
          <button type="submit" className="btn btn-primary" disabled={busy || unchanged}>
            {busy ? 'Saving…' : 'Save prices'}
          </button>
          <span role="status" className="settings-saved">
            {saved ? 'Prices saved. Fans see them from now on.' : ''}
          </span>
        </div>
      </form>
    </section>
  );
}
