import { useId, useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { CreatorPageView, TierView, TrialLinkView } from '../../../shared/creators.js';
import { api, ApiError } from '../lib/api.js';
import { credits, dateText, priceChangeNote } from '../lib/creators-format.js';
import { creatorKeys } from '../lib/creators-queries.js';
import { LabeledField, StudioCard, useAction } from './studio-form.js';
import { FormError } from './ui.js';

type Discounts = { 3: string; 6: string; 12: string };
const NO_DISCOUNTS: Discounts = { 3: '', 6: '', 12: '' };
const discountsOf = (d: Discounts) => {
  const out: { 3?: number; 6?: number; 12?: number } = {};
  for (const m of [3, 6, 12] as const) if (d[m].trim() !== '') out[m] = Number(d[m]);
  return out;
};

/** Tiers: create, change a price (the announce rule said before saving) and discounts, archive. */
export function StudioTiers({ page }: { page: CreatorPageView }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [price, setPrice] = useState('');
  const [discounts, setDiscounts] = useState<Discounts>(NO_DISCOUNTS);
  const action = useAction();
  const refresh = () => void qc.invalidateQueries({ queryKey: creatorKeys.mine });

  const create = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await action.run(() => api('/api/creator/tiers', { body: { name, price: Number(price), discounts: discountsOf(discounts) } }));
    if (!ok) return;
    setName('');
    setPrice('');
    setDiscounts(NO_DISCOUNTS);
    refresh();
  };

  return (
    <StudioCard title="Tiers">
      <ul className="rows">
        {page.tiers.map((t) => (
          <TierRow key={t.id} tier={t} onChange={refresh} />
        ))}
      </ul>
      <form className="form" onSubmit={(e) => void create(e)} aria-label="New tier">
        <h3>New tier</h3>
        <LabeledField label="Tier name">{(c) => <input {...c} value={name} onChange={(e) => setName(e.target.value)} required maxLength={60} />}</LabeledField>
        <LabeledField label="Price per month (credits)">
          {(c) => <input {...c} type="number" min={1} inputMode="numeric" value={price} onChange={(e) => setPrice(e.target.value)} required />}
        </LabeledField>
        <DiscountFields value={discounts} onChange={setDiscounts} />
        <FormError error={action.error} text={(err) => (err instanceof ApiError && err.code === 'TIER_LIMIT_REACHED' ? 'You have as many tiers as allowed. Archive one first.' : null)} />
        <button type="submit" className="btn btn-primary" disabled={action.busy}>
          Add tier
        </button>
      </form>
    </StudioCard>
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
  const action = useAction();
  const next = Number(price);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (await action.run(() => api(`/api/creator/tiers/${t.id}`, { method: 'PATCH', body: { price: next, discounts: discountsOf(discounts) } }))) {
      setEditing(false);
      onChange();
    }
  };
  const archive = async () => {
    if (await action.run(() => api(`/api/creator/tiers/${t.id}`, { method: 'DELETE' }))) onChange();
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
          <button type="button" className="btn btn-link" onClick={() => void archive()} disabled={action.busy}>
            Archive<span className="visually-hidden"> {t.name}</span>
          </button>
        </>
      )}
      {editing && (
        <form className="form" onSubmit={(e) => void save(e)} aria-label={`Edit ${t.name}`}>
          <LabeledField label="New price per month" hint={Number.isInteger(next) && next > 0 ? priceChangeNote(t.price, next) : 'A whole number of credits.'}>
            {(c) => <input {...c} type="number" min={1} inputMode="numeric" value={price} onChange={(e) => setPrice(e.target.value)} />}
          </LabeledField>
          <DiscountFields value={discounts} onChange={setDiscounts} />
          <button type="submit" className="btn btn-primary" disabled={action.busy}>
            Save {t.name}
          </button>
          <button type="button" className="btn btn-secondary" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      )}
      <FormError error={action.error} />
    </li>
  );
}

/** Free-trial links: create (tier, days, claims, expiry), copy, revoke. */
export function StudioTrials({ page }: { page: CreatorPageView }) {
  const qc = useQueryClient();
  const live = page.tiers.filter((t) => !t.archived);
  const trials = useQuery({ queryKey: creatorKeys.trials, queryFn: async () => (await api<{ trials: TrialLinkView[] }>('/api/creator/trials')).trials });
  const [tierId, setTierId] = useState(live[0]?.id ?? '');
  const [days, setDays] = useState('7');
  const [maxClaims, setMaxClaims] = useState('100');
  const [expires, setExpires] = useState('30');
  const action = useAction();
  const [copied, setCopied] = useState<string | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: creatorKeys.trials });

  const create = async (e: FormEvent) => {
    e.preventDefault();
    const expiresAt = new Date(Date.now() + Number(expires) * 86_400_000).toISOString();
    if (await action.run(() => api('/api/creator/trials', { body: { tierId: tierId || live[0]?.id, days: Number(days), maxClaims: Number(maxClaims), expiresAt } }))) refresh();
  };
  const revoke = async (t: TrialLinkView) => {
    if (await action.run(() => api(`/api/creator/trials/${t.id}`, { method: 'DELETE' }))) refresh();
  };
  const copy = async (t: TrialLinkView) => {
    const url = `${location.origin}/trial/${t.code}`;
    await navigator.clipboard?.writeText(url).catch(() => undefined);
    setCopied(t.id);
  };
  const numberField = (label: string, value: string, set: (v: string) => void, max?: number) => (
    <LabeledField label={label}>{(c) => <input {...c} type="number" min={1} max={max} inputMode="numeric" value={value} onChange={(e) => set(e.target.value)} />}</LabeledField>
  );

  return (
    <StudioCard title="Free-trial links">
      {trials.isPending ? (
        <p className="hint" role="status">
          Loading trial links…
        </p>
      ) : trials.isError ? (
        <FormError error={trials.error} />
      ) : trials.data.length === 0 ? (
        <p className="hint">No trial links yet.</p>
      ) : (
        <ul className="rows">
          {trials.data.map((t) => (
            <li key={t.id}>
              <span>
                {page.tiers.find((x) => x.id === t.tierId)?.name ?? 'Tier'} · {t.days} days · {t.claims}/{t.maxClaims} claimed · until {dateText(t.expiresAt)}
                {t.revoked && ' · Revoked'}
              </span>
              <code>/trial/{t.code}</code>
              {!t.revoked && (
                <>
                  <button type="button" className="btn btn-link" onClick={() => void copy(t)}>
                    {copied === t.id ? 'Copied' : 'Copy link'}
                  </button>
                  <button type="button" className="btn btn-link" onClick={() => void revoke(t)} disabled={action.busy}>
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
          <LabeledField label="Tier">
            {(c) => (
              <select {...c} value={tierId} onChange={(e) => setTierId(e.target.value)}>
                {live.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name}
                  </option>
                ))}
              </select>
            )}
          </LabeledField>
          {numberField('Free days (1–90)', days, setDays, 90)}
          {numberField('How many people may claim it', maxClaims, setMaxClaims)}
          {numberField('The link works for (days)', expires, setExpires, 365)}
          <button type="submit" className="btn btn-primary" disabled={action.busy}>
            Create trial link
          </button>
        </form>
      ) : (
        <p className="hint">Add a tier first: a trial is a free subscription at a tier.</p>
      )}
      <FormError error={action.error} />
    </StudioCard>
  );
}
