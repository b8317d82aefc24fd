import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { WalletBalance } from '../../../shared/events.js';
import { api } from './api.js';
import { useSession } from './session.js';
import { useSocketEvent } from './socket.js';

/** Query keys shared by pages, so a push or a mutation updates every view of the same data. */
export const keys = {
  me: ['me'] as const,
  wallet: ['wallet'] as const,
  conversations: ['conversations'] as const,
  profile: ['profile'] as const,
};

/** GET /api/wallet adds `flagged`: why the wallet is under review (e.g. `chargeback_debt`), or null; pushes leave it out. */
export type Wallet = WalletBalance & { flagged?: string | null };

/** The wallet balance, kept live by `wallet:updated` (sent after each commit). */
export function useWallet() {
  const { user } = useSession();
  const qc = useQueryClient();
  useSocketEvent('wallet:updated', (balance) => {
    qc.setQueryData<Wallet>(keys.wallet, (old) => ({ ...old, ...balance }));
    void qc.invalidateQueries({ queryKey: ['wallet', 'transactions'] });
  });
  return useQuery({
    queryKey: keys.wallet,
    queryFn: async () => (await api<{ wallet: Wallet }>('/api/wallet')).wallet,
    enabled: user !== null && user.role !== 'admin',
  });
}
