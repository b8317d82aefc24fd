import { useId, useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { CreatorPageView, TierView, TrialLinkView } from '../../../shared/creators.js';
import { api, ApiError } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { credits, dateText, priceChangeNote } from '../lib/creators-format.js';
import { creatorKeys } from '../lib/creators-queries.js';
import { useQuery } from '@tanstack/react-query';

type Discounts = { 3: string; 6: string; 12: string };
const discountsOf = (d: Discounts) => {
  const out: { 3?: number; 6?: number; 12?: number } = {};
  for (const m of [3, 6, 12] as const) if (d[m].trim() !== '') out[m] = Number(d[m]);
  return out;
};

/** Tiers: create, change a price (the announce rule said before saving) and discounts, archive. */
export function StudioTiers({ page }: { page: CreatorPageView }) {
  const qc = useQueryClient();
  const id = useId();
  const [name, setName] = useState('');
  const [price, setPrice] = useState('');
  const [discounts, setDiscounts] = useState<Discounts>({ 3: '', 6: '', 12: '' });
  const [error, setError] = useState<unknown>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: creatorKeys.mine });

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api('/api/creator/tiers', { body: { name, price: Number(price), discounts: discountsOf(discounts) } });
      setName('');
      setPrice('');
      setDiscounts({ 3: '', 6: '', 12: '' });
      refresh();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className="card" aria-labelledby={`${id}-t`}>
      <h2 id={`${id}-t`}>Tiers</h2>
      <ul className="rows">
        {page.tiers.map((t) => (
          <TierRow key={t.id} tier={t} onChange={refresh} />
        ))}
      </ul>
      <form className="form" onSubmit={(e) => void create(e)} aria-label="New tier">
        <h3>New tier</h3>
        <div className="field">
          <label htmlFor={`${id}-n`}>Tier name</label>
          <input id={`${id}-n`} value={name} onChange={(e) => setName(e.target.value)} required maxLength={60} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-p`}>Price per month (credits)</label>
          <input id={`${id}-p`} type="number" min={1} inputMode="numeric" value={price} onChange={(e) => setPrice(e.target.value)} required />
        </div>
        <DiscountFields value={discounts} onChange={setDiscounts} />
        {error !== null && (
          <p className="form-error" role="alert">
            {error instanceof ApiError && error.code === 'TIER_LIMIT_REACHED' ? 'You have as many tiers as allowed. Archive one first.' : errorText(error)}
          </p>
        )}
        <button type="submit" className="btn btn-primary">
          Add tier
        </button>
      </form>
    </section>
  );
}

function DiscountFields({ value, onChange }: { value: Discounts; onChange: (d: Discounts) => void }) {
  const id = useId();
  return (
    <fieldset className="field">
      <legend>Bundle discounts (percent off; they can only grow later)</legend>
      {([3, 6, 12] as const).map((m) => (
        <label key={m} htmlFor={`${id}-${m}`} className="radio">
          {m} months
          <input id={`${id}-${m}`} type="number" min={0} max={90} inputMode="numeric" value={value[m]} onChange={(e) => onChange({ ...value, [m]: e.target.value })} />
        </label>
      ))}
    </fieldset>
  );
}

function TierRow({ tier: t, onChange }: { tier: TierView; onChange: () => void }) {
  const [editing, setEditing] = useState(false);
  const [price, setPrice] = useState(String(t.price));
  const [discounts, setDiscounts] = useState<Discounts>({ 3: String(t.discounts[3]), 6: String(t.discounts[6]), 12: String(t.discounts[12]) });
  const [error, setError] = useState<unknown>(null);
  const id = useId();
  const next = Number(price);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api(`/api/creator/tiers/${t.id}`, { method: 'PATCH', body: { price: next, discounts: discountsOf(discounts) } });
      setEditing(false);
      onChange();
    } catch (err) {
      setError(err);
    }
  };
  const archive = async () => {
    setError(null);
    try {
      await api(`/api/creator/tiers/${t.id}`, { method: 'DELETE' });
      onChange();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <li>
      <span>
        <strong>{t.name}</strong> (tier {t.rank}) · {credits(t.price)} a month
        {t.priceNext !== null && t.priceNextAt && ` · ${credits(t.priceNext)} from ${dateText(t.priceNextAt)}`}
        {t.archived && ' · Archived'}
      </span>
      {!t.archived && !editing && (
        <>
          <button type="button" className="btn btn-link" onClick={() => setEditing(true)}>
            Edit<span className="visually-hidden"> {t.name}</span>
          </button>
          <button type="button" className="btn btn-link" onClick={() => void archive()}>
            Archive<span className="visually-hidden"> {t.name}</span>
          </button>
        </>
      )}
      {editing && (
        <form className="form" onSubmit={(e) => void save(e)} aria-label={`Edit ${t.name}`}>
          <div className="field">
            <label htmlFor={`${id}-p`}>New price per month</label>
            <input id={`${id}-p`} type="number" min={1} inputMode="numeric" value={price} onChange={(e) => setPrice(e.target.value)} aria-describedby={`${id}-h`} />
            <small id={`${id}-h`} className="hint">
              {Number.isInteger(next) && next > 0 ? priceChangeNote(t.price, next) : 'A whole number of credits.'}
            </small>
          </div>
          <DiscountFields value={discounts} onChange={setDiscounts} />
          <button type="submit" className="btn btn-primary">
            Save {t.name}
          </button>
          <button type="button" className="btn btn-secondary" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      )}
      {error !== null && (
        <p className="form-error" role="alert">
          {errorText(error)}
        </p>
      )}
    </li>
  );
}

/** Free-trial links: create (tier, days, claims, expiry), copy, revoke. */
export function StudioTrials({ page }: { page: CreatorPageView }) {
  const qc = useQueryClient();
  const id = useId();
  const live = page.tiers.filter((t) => !t.archived);
  const trials = useQuery({ queryKey: creatorKeys.trials, queryFn: async () => (await api<{ trials: TrialLinkView[] }>('/api/creator/trials')).trials });
  const [tierId, setTierId] = useState(live[0]?.id ?? '');
  const [days, setDays] = useState('7');
  const [maxClaims, setMaxClaims] = useState('100');
  const [expires, setExpires] = useState('30');
  const [error, setError] = useState<unknown>(null);
  const [copied, setCopied] = useState<string | null>(null);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const expiresAt = new Date(Date.now() + Number(expires) * 86_400_000).toISOString();
      await api('/api/creator/trials', { body: { tierId: tierId || live[0]?.id, days: Number(days), maxClaims: Number(maxClaims), expiresAt } });
      void qc.invalidateQueries({ queryKey: creatorKeys.trials });
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (t: TrialLinkView) => {
    setError(null);
    try {
      await api(`/api/creator/trials/${t.id}`, { method: 'DELETE' });
      void qc.invalidateQueries({ queryKey: creatorKeys.trials });
    } catch (err) {
      setError(err);
    }
  };
  const copy = async (t: TrialLinkView) => {
    const url = `${location.origin}/trial/${t.code}`;
    await navigator.clipboard?.writeText(url).catch(() => undefined);
    setCopied(t.id);
  };

  return (
    <section className="card" aria-labelledby={`${id}-t`}>
      <h2 id={`${id}-t`}>Free-trial links</h2>
      {(trials.data ?? []).length === 0 ? (
        <p className="hint">No trial links yet.</p>
      ) : (
        <ul className="rows">
          {trials.data!.map((t) => (
            <li key={t.id}>
              <span>
                {live.find((x) => x.id === t.tierId)?.name ?? 'Tier'} · {t.days} days · {t.claims}/{t.maxClaims} claimed · until {dateText(t.expiresAt)}
                {t.revoked && ' · Revoked'}
              </span>
              <code>/trial/{t.code}</code>
              {!t.revoked && (
                <>
                  <button type="button" className="btn btn-link" onClick={() => void copy(t)}>
                    {copied === t.id ? 'Copied' : 'Copy link'}
                  </button>
                  <button type="button" className="btn btn-link" onClick={() => void revoke(t)}>
                    Revoke
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {live.length > 0 ? (
        <form className="form" onSubmit={(e) => void create(e)} aria-label="New trial link">
          <div className="field">
            <label htmlFor={`${id}-tier`}>Tier</label>
            <select id={`${id}-tier`} value={tierId} onChange={(e) => setTierId(e.target.value)}>
              {live.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-d`}>Free days (1–90)</label>
            <input id={`${id}-d`} type="number" min={1} max={90} value={days} onChange={(e) => setDays(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-m`}>How many people may claim it</label>
            <input id={`${id}-m`} type="number" min={1} value={maxClaims} onChange={(e) => setMaxClaims(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-e`}>The link works for (days)</label>
            <input id={`${id}-e`} type="number" min={1} max={365} value={expires} onChange={(e) => setExpires(e.target.value)} />
          </div>
          <button type="submit" className="btn btn-primary">
            Create trial link
          </button>
        </form>
      ) : (
        <p className="hint">Add a tier first: a trial is a free subscription at a tier.</p>
      )}
      {error !== null && (
        <p className="form-error" role="alert">
          {errorText(error)}
        </p>
      )}
    </section>
  );
}
