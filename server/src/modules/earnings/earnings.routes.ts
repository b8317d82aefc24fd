import { Router } from 'express';
import { EARNINGS_CSV_HEADER, csvLine, earningsRangeQuery, earningsStatementQuery } from '../../../../shared/earnings.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';
import type { EarningsService } from './earnings.service.js';

export function earningsRoutes(guards: Guards, earnings: EarningsService): Router {
  const r = Router();
  const { authed } = guards;
  r.get('/', authed, async (_req, res) => {
    res.json({ earnings: await earnings.summary(principalOf(res).userId) });
  });
  r.get('/daily', authed, async (req, res) => {
    const q = parse(earningsRangeQuery, req.query);
    res.json({ days: await earnings.daily(principalOf(res).userId, q.from, q.to) });
  });
  r.get('/statement', authed, async (req, res) => {
    const q = parse(earningsStatementQuery, req.query);
    res.json({ statement: await earnings.statement(principalOf(res).userId, q.month, q.cursor, q.limit) });
  });
  r.get('/export.csv', authed, async (req, res) => {
    const q = parse(earningsRangeQuery, req.query);
    const pages = earnings.lines(principalOf(res).userId, q.from, q.to);
    // The first page is read before the headers go out, so a failing query is still an error body, not a cut file.
    const first = await pages.next();
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="earnings-${q.from}-${q.to}.csv"`);
    res.write(EARNINGS_CSV_HEADER.join(',') + '\r\n');
    if (!first.done) {
      res.write(first.value.map(csvLine).join(''));
      for await (const page of pages) res.write(page.map(csvLine).join(''));
    }
    res.end();
  });
  return r;
}

/** Mounted at /api/earnings. */
export const earningsRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/', summary: "The caller's earnings: available, pending (inside the hold), lifetime, debited, payable, by source.", auth: 'user', response: { status: 200, description: '{ earnings }' } },
  { method: 'get', path: '/daily', summary: "The caller's net earnings per UTC day and source, every day of the range.", auth: 'user', query: earningsRangeQuery, response: { status: 200, description: '{ days }' } },
  { method: 'get', path: '/statement', summary: "A month's earnings statement: totals by source and the lines, a page at a time.", auth: 'user', query: earningsStatementQuery, response: { status: 200, description: '{ statement }' } },
  { method: 'get', path: '/export.csv', summary: "The caller's earnings lines over a range of days as CSV.", auth: 'user', query: earningsRangeQuery, response: { status: 200, description: 'text/csv: date, source, kind, gross, creator_share, fee, reference' } },
];
