import { useEffect, useId, useMemo, useState } from 'react';
import type { CreditPack, ProviderName } from '../../../shared/payments.js';
import { currenciesOf, defaultCurrency, formatMoney, payableProviders, PROVIDER_LABEL } from './wallet-model.js';
import { useCatalogue } from './wallet-queries.js';
import { Empty, ErrorNote, Loading } from './ui.js';

export interface PackChoice {
  pack: CreditPack;
  provider: ProviderName;
  currency: string;
}

/** The pack whose credits cost least per unit of money in this currency (only when packs differ). */
function bestValue(packs: CreditPack[], currency: string): string | undefined {
  const priced = packs.filter((p) => p.prices[currency]);
  if (priced.length < 2) return undefined;
  const rate = (p: CreditPack) => p.credits / p.prices[currency]!;
  const best = priced.reduce((a, b) => (rate(b) > rate(a) ? b : a));
  return priced.every((p) => rate(p) === rate(best)) ? undefined : best.id;
}

/** The packs on sale, with the price in the chosen currency and the ways to pay this app can complete. */
export function WalletPacks({ onBuy }: { onBuy: (choice: PackChoice) => void }) {
  const catalogue = useCatalogue();
  const currencyId = useId();
  const packs = catalogue.data?.packs ?? [];
  const providers = useMemo(() => payableProviders(catalogue.data?.providers ?? []), [catalogue.data]);
  const currencies = useMemo(() => currenciesOf(packs), [packs]);
  const [provider, setProvider] = useState<ProviderName | undefined>();
  const [currency, setCurrency] = useState<string | undefined>();
  const chosenProvider = provider && providers.includes(provider) ? provider : providers[0];
  const chosenCurrency = currency && currencies.includes(currency) ? currency : defaultCurrency(chosenProvider, currencies);

  // A new way to pay starts from the currency the server would pick for it (INR for Razorpay).
  useEffect(() => setCurrency(undefined), [chosenProvider]);

  if (catalogue.isPending) return <Loading label="Loading credit packs" />;
  if (catalogue.isError) return <ErrorNote error={catalogue.error} retry={() => void catalogue.refetch()} />;
  if (providers.length === 0 || !chosenProvider || !chosenCurrency) {
    return (
      <Empty title="Buying credits is not available here right now." />
    );
  }
  const best = bestValue(packs, chosenCurrency);

  return (
    <div className="wallet-buy">
      <div className="wallet-buy-options">
        {providers.length > 1 ? (
          <fieldset className="field wallet-providers">
            <legend>Pay with</legend>
            {providers.map((p) => (
              <label key={p} className="radio">
                <input type="radio" name="wallet-provider" value={p} checked={p === chosenProvider} onChange={() => setProvider(p)} /> {PROVIDER_LABEL[p]}
              </label>
            ))}
          </fieldset>
        ) : (
          <p className="wallet-provider-one">
            <span className="hint">Pay with</span> <strong>{PROVIDER_LABEL[chosenProvider]}</strong>
          </p>
        )}
        {currencies.length > 1 && (
          <div className="field wallet-currency">
            <label htmlFor={currencyId}>Currency</label>
            <select id={currencyId} value={chosenCurrency} onChange={(e) => setCurrency(e.target.value)}>
              {currencies.map((c) => (
                <option key={c} value={c}>
                  {c.toUpperCase()}
                </option>
              ))}
            </select>
          </div>
        )}
      </div>
      <ul className="packs" aria-label="Credit packs">
        {packs.map((pack) => {
          const price = pack.prices[chosenCurrency];
          return (
            <li key={pack.id} className={`pack card${best === pack.id ? ' pack-best' : ''}`}>
              {best === pack.id && <span className="pack-tag">Best value</span>}
              <div className="pack-what">
                <p className="pack-credits">
                  <strong>{pack.credits.toLocaleString()}</strong> credits
                </p>
                <p className="pack-price">{price ? formatMoney(price, chosenCurrency) : `Not sold in ${chosenCurrency.toUpperCase()}`}</p>
              </div>
              <button
                type="button"
                className="btn btn-primary"
                disabled={!price}
                onClick={() => onBuy({ pack, provider: chosenProvider, currency: chosenCurrency })}
              >
                Buy<span className="visually-hidden"> {pack.credits.toLocaleString()} credits</span>
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
