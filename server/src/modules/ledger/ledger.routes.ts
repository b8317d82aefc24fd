import { Router } from 'express';
import { z } from 'zod';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import { accounts } from './accounts.js';
import type { LedgerService } from './ledger.service.js';
import { toTransferView } from './ledger.view.js';
import type { RouteDoc } from '../../http/route-docs.js';

export const pageQuery = z.strictObject({
  cursor: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export function walletRoutes(guards: Guards, ledger: LedgerService): Router {
  const r = Router();
  const { authed } = guards;
  r.get('/', authed, async (_req, res) => {
    res.json({ wallet: await ledger.balance(principalOf(res).userId) });
  });
  r.get('/transactions', authed, async (req, res) => {
    const { cursor, limit } = parse(pageQuery, req.query);
    const userId = principalOf(res).userId;
    const rows = await ledger.transactions(userId, cursor ?? null, limit);
    res.json({
      transactions: rows.map((t) => toTransferView(t, accounts.wallet(userId))),
      nextCursor: rows.length === limit ? rows.at(-1)!.id : null,
    });
  });
  return r;
}

/** Mounted at /api/wallet. */
export const walletRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/', summary: "The caller's wallet balance (available, held, debt).", auth: 'user', response: { status: 200, description: '{ wallet }' } },
  { method: 'get', path: '/transactions', summary: "The caller's wallet transfers, newest first.", auth: 'user', query: pageQuery, response: { status: 200, description: '{ transactions, nextCursor }' } },
];
