import { useId, useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { GENDERS, preferencesBody } from '../../../shared/profiles.js';
import { api } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { fieldErrorsOf, fieldErrorsOfApi, type FieldErrors } from '../lib/form.js';
import { keys } from '../lib/queries.js';
import { profileKeys, type OwnProfile } from '../lib/profile-format.js';
import { StepActions } from './onboarding-parts.js';

const SEEK_WORDS: Record<(typeof GENDERS)[number], string> = { woman: 'Women', man: 'Men', nonbinary: 'Non-binary people', other: 'Other' };
const DISTANCES = [5, 10, 25, 50, 100, 250, 500, 1000];

export function PreferencesStep({ profile, onDone, onBack }: { profile: OwnProfile; onDone: () => void; onBack: () => void }) {
  const qc = useQueryClient();
  const ids = { min: useId(), max: useId(), distance: useId() };
  const p = profile.preferences;
  const [seeks, setSeeks] = useState<string[]>(p.seeksGenders);
  const [ageMin, setAgeMin] = useState(String(p.ageMin));
  const [ageMax, setAgeMax] = useState(String(p.ageMax));
  const [distance, setDistance] = useState(p.maxDistanceKm === null ? '' : String(p.maxDistanceKm));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // A distance limit needs a location on both sides: without one it would hide everyone.
  const distanceWithoutLocation = distance !== '' && profile.location === null;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const body = {
      seeksGenders: seeks,
      ageMin: ageMin.trim() === '' ? Number.NaN : Number(ageMin),
      ageMax: ageMax.trim() === '' ? Number.NaN : Number(ageMax),
      maxDistanceKm: distance === '' ? null : Number(distance),
    };
    // The shared schema decides; its words ("ageMin must not exceed ageMax") are put in plain ones here.
    const checked = fieldErrorsOf(preferencesBody, body);
    const outOfRange = (v: number) => !Number.isInteger(v) || v < 18 || v > 120;
    if (checked.errors.ageMin) checked.errors.ageMin = 'Enter an age from 18 to 120.';
    if (checked.errors.ageMax) checked.errors.ageMax = 'Enter an age from 18 to 120.';
    else if (checked.errors._ && !outOfRange(body.ageMin) && body.ageMin > body.ageMax) checked.errors.ageMax = 'The oldest age must not be below the youngest.';
    delete checked.errors._;
    setErrors(checked.errors);
    if (!checked.data) return;
    setBusy(true);
    try {
      const saved = (await api<{ profile: OwnProfile }>('/api/profile/preferences', { method: 'PUT', body: checked.data })).profile;
      qc.setQueryData(keys.profile, saved);
      void qc.invalidateQueries({ queryKey: profileKeys.discover });
      onDone();
    } catch (err) {
      setErrors(fieldErrorsOfApi(err));
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card form onboarding-form" onSubmit={submit} noValidate>
      <fieldset className="field">
        <legend>Show me</legend>
        <div className="pills">
          {GENDERS.map((g) => (
            <label key={g} className="pill">
              <input type="checkbox" checked={seeks.includes(g)} onChange={(e) => setSeeks(e.target.checked ? [...seeks, g] : seeks.filter((x) => x !== g))} />
              <span>{SEEK_WORDS[g]}</span>
            </label>
          ))}
        </div>
        <small className="hint">Leave all unticked to see everyone.</small>
      </fieldset>

      <fieldset className="field">
        <legend>Aged</legend>
        <div className="age-range">
          <div className="field">
            <label htmlFor={ids.min}>From</label>
            <input
              id={ids.min}
              type="number"
              inputMode="numeric"
              min={18}
              max={120}
              value={ageMin}
              onChange={(e) => setAgeMin(e.target.value)}
              aria-invalid={errors.ageMin ? true : undefined}
              aria-describedby={errors.ageMin ? `${ids.min}-err` : undefined}
            />
          </div>
          <span className="age-dash" aria-hidden="true">
            –
          </span>
          <div className="field">
            <label htmlFor={ids.max}>To</label>
            <input
              id={ids.max}
              type="number"
              inputMode="numeric"
              min={18}
              max={120}
              value={ageMax}
              onChange={(e) => setAgeMax(e.target.value)}
              aria-invalid={errors.ageMax ? true : undefined}
              aria-describedby={errors.ageMax ? `${ids.max}-err` : undefined}
            />
          </div>
        </div>
        {errors.ageMin && (
          <small id={`${ids.min}-err`} className="field-error">
            {errors.ageMin}
          </small>
        )}
        {errors.ageMax && (
          <small id={`${ids.max}-err`} className="field-error">
            {errors.ageMax}
          </small>
        )}
      </fieldset>

      <div className="field">
        <label htmlFor={ids.distance}>Up to</label>
        <select id={ids.distance} value={distance} onChange={(e) => setDistance(e.target.value)} aria-describedby={distanceWithoutLocation ? `${ids.distance}-warn` : undefined}>
          <option value="">Any distance</option>
          {DISTANCES.map((km) => (
            <option key={km} value={km}>
              {km.toLocaleString('en')} km away
            </option>
          ))}
        </select>
        {distanceWithoutLocation && (
          <small id={`${ids.distance}-warn`} className="field-warning">
            You have not set a location, so a distance limit would hide everyone. Add one in the first step, or choose “Any distance”.
          </small>
        )}
        {errors.maxDistanceKm && <small className="field-error">{errors.maxDistanceKm}</small>}
      </div>

      {error !== null && (
        <p className="form-error" role="alert">
          {errorText(error)}
        </p>
      )}
      <StepActions onBack={onBack} skipTo="questions" submitLabel="Save and continue" busy={busy} />
    </form>
  );
}
