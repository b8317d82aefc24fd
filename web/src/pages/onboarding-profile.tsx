import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { GENDERS, profileBody } from '../../../shared/profiles.js';
import { api, ApiError } from '../lib/api.js';
import { errorText, waitText } from '../lib/error-text.js';
import { fieldErrorsOf, fieldErrorsOfApi, type FieldErrors } from '../lib/form.js';
import { keys } from '../lib/queries.js';
import { addInterests, coarseCoordinate, coordinatesText, languageName, parseCoordinates, profileKeys, type OwnProfile } from '../lib/profile-format.js';
import { ProfileIcon } from '../components/profile-icons.js';
import { PhotosEditor } from '../components/photos-editor.js';
import { StepActions } from './onboarding-parts.js';

const GENDER_WORDS: Record<(typeof GENDERS)[number], string> = { woman: 'Woman', man: 'Man', nonbinary: 'Non-binary', other: 'Other' };
/** Offered as tick boxes; a language already on the profile is offered too. */
const COMMON_LANGUAGES = ['en', 'es', 'fr', 'de', 'it', 'pt', 'nl', 'pl', 'sv', 'tr', 'ru', 'ar', 'hi', 'zh', 'ja', 'ko'];
const BIO_MAX = 2000;

type Locating = { state: 'idle' } | { state: 'finding' } | { state: 'found' } | { state: 'failed'; message: string };

function geolocationProblem(err: GeolocationPositionError): string {
  if (err.code === err.PERMISSION_DENIED) return 'Location access was not allowed. Enter your coordinates below instead.';
  if (err.code === err.TIMEOUT) return 'Finding your location took too long. Try again, or enter your coordinates below.';
  return 'Your location could not be found. Enter your coordinates below instead.';
}

export function ProfileStep({ profile, onDone }: { profile: OwnProfile; onDone: () => void }) {
  const qc = useQueryClient();
  const ids = { bio: useId(), interests: useId(), coords: useId(), photos: useId() };
  const [bio, setBio] = useState(profile.bio);
  const [gender, setGender] = useState(profile.gender ?? '');
  const [interests, setInterests] = useState(profile.interests);
  const [draft, setDraft] = useState('');
  const [languages, setLanguages] = useState(profile.languages);
  const [coords, setCoords] = useState(coordinatesText(profile.location));
  const [locating, setLocating] = useState<Locating>({ state: 'idle' });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const canLocate = typeof navigator !== 'undefined' && 'geolocation' in navigator;

  function addDraft(): boolean {
    const r = addInterests(interests, draft);
    if ('error' in r) {
      setErrors((e) => ({ ...e, interests: r.error }));
      return false;
    }
    setInterests(r.interests);
    setDraft('');
    setErrors(({ interests: _gone, ...rest }) => rest);
    return true;
  }

  function onInterestKey(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === 'Enter' || e.key === ',') {
      e.preventDefault();
      addDraft();
    } else if (e.key === 'Backspace' && draft === '' && interests.length > 0) {
      setInterests(interests.slice(0, -1));
    }
  }

  function locateMe() {
    setLocating({ state: 'finding' });
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        setCoords(coordinatesText({ lat: coarseCoordinate(pos.coords.latitude), lng: coarseCoordinate(pos.coords.longitude) }));
        setErrors(({ location: _gone, ...rest }) => rest);
        setLocating({ state: 'found' });
      },
      (err) => setLocating({ state: 'failed', message: geolocationProblem(err) }),
      { enableHighAccuracy: false, timeout: 15_000, maximumAge: 600_000 },
    );
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    // Whatever is still typed in the interests box counts, as if Enter had been pressed.
    let allInterests = interests;
    if (draft.trim()) {
      const r = addInterests(interests, draft);
      if ('error' in r) return setErrors({ interests: r.error });
      allInterests = r.interests;
      setInterests(r.interests);
      setDraft('');
    }
    let location: { lat: number; lng: number } | null = null;
    if (coords.trim()) {
      const p = parseCoordinates(coords);
      if ('error' in p) return setErrors({ location: p.error });
      location = p;
    }
    const body = { bio, gender: gender === '' ? null : gender, interests: allInterests, languages, location };
    const checked = fieldErrorsOf(profileBody, body);
    setErrors(checked.errors);
    if (!checked.data) return;
    setBusy(true);
    try {
      const saved = (await api<{ profile: OwnProfile }>('/api/profile', { method: 'PUT', body: checked.data })).profile;
      qc.setQueryData(keys.profile, saved);
      // What others see of me changed: discover's order may too.
      void qc.invalidateQueries({ queryKey: profileKeys.discover });
      onDone();
    } catch (err) {
      setErrors(fieldErrorsOfApi(err));
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const languageChoices = [...new Set([...COMMON_LANGUAGES, ...languages])];

  return (
    <>
      <section className="card onboarding-photos" aria-labelledby={ids.photos}>
        <h2 id={ids.photos} className="onboarding-photos-title">
          Your photos
        </h2>
        <PhotosEditor profile={profile} headingId={ids.photos} />
      </section>
      <form className="card form onboarding-form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={ids.bio}>About me</label>
          <textarea
            id={ids.bio}
            rows={5}
            value={bio}
            maxLength={BIO_MAX}
            placeholder="What you love, what you are looking for, what makes you laugh…"
            onChange={(e) => setBio(e.target.value)}
            aria-describedby={`${ids.bio}-count${errors.bio ? ` ${ids.bio}-err` : ''}`}
            aria-invalid={errors.bio ? true : undefined}
          />
          <small id={`${ids.bio}-count`} className="hint counter">
            {bio.length} / {BIO_MAX}
          </small>
          {errors.bio && (
            <small id={`${ids.bio}-err`} className="field-error">
              {errors.bio}
            </small>
          )}
        </div>

        <fieldset className="field">
          <legend>I am</legend>
          <div className="pills">
            {GENDERS.map((g) => (
              <label key={g} className="pill">
                <input type="radio" name="gender" value={g} checked={gender === g} onChange={() => setGender(g)} />
                <span>{GENDER_WORDS[g]}</span>
              </label>
            ))}
            <label className="pill">
              <input type="radio" name="gender" value="" checked={gender === ''} onChange={() => setGender('')} />
              <span>Prefer not to say</span>
            </label>
          </div>
          {errors.gender && <small className="field-error">{errors.gender}</small>}
        </fieldset>

        <div className="field">
          <label htmlFor={ids.interests}>Interests</label>
          {interests.length > 0 && (
            <ul className="chips chips-editable" aria-label="Your interests">
              {interests.map((t) => (
                <li key={t} className="chip">
                  {t}
                  <button type="button" className="chip-remove" aria-label={`Remove ${t}`} onClick={() => setInterests(interests.filter((x) => x !== t))}>
                    ×
                  </button>
                </li>
              ))}
            </ul>
          )}
          <div className="inline-input">
            <input
              id={ids.interests}
              type="text"
              value={draft}
              placeholder="hiking, jazz, board games"
              onChange={(e) => setDraft(e.target.value)}
              onKeyDown={onInterestKey}
              aria-describedby={`${ids.interests}-hint${errors.interests ? ` ${ids.interests}-err` : ''}`}
              aria-invalid={errors.interests ? true : undefined}
            />
            <button type="button" className="btn btn-secondary" onClick={addDraft} disabled={!draft.trim()}>
              Add
            </button>
          </div>
          <small id={`${ids.interests}-hint`} className="hint">
            Press Enter or type a comma after each one. Up to 20.
          </small>
          {errors.interests && (
            <small id={`${ids.interests}-err`} className="field-error">
              {errors.interests}
            </small>
          )}
        </div>

        <fieldset className="field">
          <legend>Languages I speak</legend>
          <div className="pills">
            {languageChoices.map((code) => (
              <label key={code} className="pill">
                <input
                  type="checkbox"
                  checked={languages.includes(code)}
                  onChange={(e) => setLanguages(e.target.checked ? [...languages, code] : languages.filter((l) => l !== code))}
                />
                <span>{languageName(code)}</span>
              </label>
            ))}
          </div>
          {errors.languages && <small className="field-error">{errors.languages}</small>}
        </fieldset>

        <fieldset className="field location">
          <legend>Location</legend>
          <p className="hint location-why">
            Used only to show how far away people are, as a band such as “5–10 km away”. It is stored rounded to about 1 km and nobody sees it.
          </p>
          {canLocate && (
            <div className="location-auto">
              <button type="button" className="btn btn-secondary" onClick={locateMe} disabled={locating.state === 'finding'}>
                <ProfileIcon name="pin" /> {locating.state === 'finding' ? 'Finding you…' : 'Use my location'}
              </button>
              <span role="status" className={locating.state === 'failed' ? 'field-error' : 'hint'}>
                {locating.state === 'found' && 'Found you. Save to keep it.'}
                {locating.state === 'failed' && locating.message}
              </span>
            </div>
          )}
          <label htmlFor={ids.coords}>{canLocate ? 'Or enter coordinates' : 'Coordinates'}</label>
          <div className="inline-input">
            <input
              id={ids.coords}
              type="text"
              inputMode="decimal"
              value={coords}
              placeholder="52.52, 13.40"
              onChange={(e) => setCoords(e.target.value)}
              aria-describedby={`${ids.coords}-hint${errors.location ? ` ${ids.coords}-err` : ''}`}
              aria-invalid={errors.location ? true : undefined}
            />
            {coords && (
              <button type="button" className="btn btn-link" onClick={() => setCoords('')}>
                Clear
              </button>
            )}
          </div>
          <small id={`${ids.coords}-hint`} className="hint">
            Latitude, longitude: copy them from any map app. Leave empty to not share a location.
          </small>
          {errors.location && (
            <small id={`${ids.coords}-err`} className="field-error">
              {errors.location}
            </small>
          )}
        </fieldset>

        {error !== null && (
          <p className="form-error" role="alert">
            {error instanceof ApiError && error.code === 'RATE_LIMITED' && coords !== coordinatesText(profile.location)
              ? `You have changed your location too often. Try again in ${waitText(Math.ceil(error.retryAfterSeconds ?? 3600))}.`
              : errorText(error)}
          </p>
        )}
        <StepActions skipTo="preferences" submitLabel="Save and continue" busy={busy} />
      </form>
    </>
  );
}
