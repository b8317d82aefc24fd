import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import type { PaymentsCatalogue, PaymentView, WalletTransaction } from '../../../shared/payments.js';
import { api } from '../lib/api.js';
import { useSocketEvent } from '../lib/socket.js';

/** Under ['wallet', …]: useWallet's `wallet:updated` handler already refreshes ['wallet', 'transactions']. */
export const walletKeys = {
  catalogue: ['wallet', 'catalogue'] as const,
  payments: ['wallet', 'payments'] as const,
  transactions: ['wallet', 'transactions'] as const,
};

const PAYMENTS_PAGE = 20;
const TRANSACTIONS_PAGE = 30;

export function useCatalogue() {
  return useQuery({
    queryKey: walletKeys.catalogue,
    queryFn: () => api<PaymentsCatalogue>('/api/payments/packs'),
    staleTime: 5 * 60_000,
  });
}

/**
 * The caller's payments, newest first, paged by `before` (createdAt). A
 * settled purchase arrives with `wallet:updated`; a failed one changes no
 * balance and the server pushes nothing for it, so while a payment is being
 * confirmed `poll` gives an interval (the only polling here), else false.
 */
export function usePayments(poll: (pages: PaymentView[][] | undefined) => number | false = () => false) {
  const qc = useQueryClient();
  useSocketEvent('wallet:updated', () => {
    void qc.invalidateQueries({ queryKey: walletKeys.payments });
  });
  return useInfiniteQuery({
    queryKey: walletKeys.payments,
    queryFn: ({ pageParam }) =>
      api<{ payments: PaymentView[] }>(`/api/payments?limit=${PAYMENTS_PAGE}${pageParam ? `&before=${encodeURIComponent(pageParam)}` : ''}`).then((r) => r.payments),
    initialPageParam: '' as string,
    getNextPageParam: (last) => (last.length === PAYMENTS_PAGE ? last.at(-1)!.createdAt : undefined),
    refetchInterval: (query) => poll(query.state.data?.pages),
  });
}

/** The wallet's transfers, newest first, paged by the server's cursor; refreshed by useWallet on `wallet:updated`. */
export function useTransactions() {
  return useInfiniteQuery({
    queryKey: walletKeys.transactions,
    queryFn: ({ pageParam }) =>
      api<{ transactions: WalletTransaction[]; nextCursor: number | null }>(`/api/wallet/transactions?limit=${TRANSACTIONS_PAGE}${pageParam ? `&cursor=${pageParam}` : ''}`),
    initialPageParam: 0,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatWhen(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : dateTime.format(d);
}
