import { Router } from 'express';
import { z } from 'zod';
import { reportBody as messageReportBody } from '../../../../shared/chat.js';
import { matchReportBody } from '../../../../shared/match.js';
import { appealBody, reportBody, type ReportSubject } from '../../../../shared/reports.js';
import { AppError } from '../../errors.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';
import type { AppealTokens } from './appeal-tokens.js';
import type { DecisionsService } from './decisions.service.js';
import type { ReportsService } from './reports.service.js';

export const mineQuery = z.strictObject({
  cursor: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
});
const appealWithTokenBody = appealBody.required({ appealToken: true });

/** Reporting (one route for every subject, and the two older per-kind routes kept on the same model) and appeals. */
export function reportsRoutes(guards: Guards, d: { reports: ReportsService; decisions: DecisionsService; appealTokens: AppealTokens }): Router {
  const r = Router();
  const { authed } = guards;
  r.post('/reports', authed, async (req, res) => {
    const result = await d.reports.file(principalOf(res), parse(reportBody, req.body));
    res.status(result.created ? 201 : 200).json(result);
  });
  r.get('/reports/mine', authed, async (req, res) => {
    const q = parse(mineQuery, req.query);
    res.json(await d.reports.mine(principalOf(res).userId, q.cursor, q.limit));
  });
  // The older routes took a free-text reason: it is kept as the note, under `other`.
  const legacy = (subject: ReportSubject, body: typeof messageReportBody) => async (req: import('express').Request, res: import('express').Response) => {
    const id = parse(z.uuid(), req.params.id);
    const { reason } = parse(body, req.body);
    const { report, created } = await d.reports.file(principalOf(res), { subject, id, reason: 'other', note: reason });
    res.status(created ? 201 : 200).json({ report: { id: report.id, created } });
  };
  r.post('/messages/:id/report', authed, legacy('message', messageReportBody));
  r.post('/match/sessions/:id/report', authed, legacy('match_session', matchReportBody));
  r.post('/appeals', authed, async (req, res) => {
    const b = parse(appealBody, req.body);
    if (b.appealToken) throw new AppError('VALIDATION_FAILED', 'signed in, appeal without a token');
    res.status(201).json(await d.decisions.appeal(principalOf(res).userId, b.decisionId, b.body, req.ip ?? null));
  });
  // A suspended user cannot sign in: the token their refused login answered with stands for them, for this only.
  r.post('/appeals/with-token', async (req, res) => {
    const b = parse(appealWithTokenBody, req.body);
    res.status(201).json(await d.decisions.appeal(d.appealTokens.verify(b.appealToken), b.decisionId, b.body, req.ip ?? null));
  });
  return r;
}

export const reportsRouteDocs: RouteDoc[] = [
  { method: 'post', path: '/reports', summary: 'Report a user, profile, message, post or random session (one open report per subject; rate-limited).', auth: 'user', body: reportBody, response: { status: 201, description: '{ report, created } (200 when already reported)' } },
  { method: 'get', path: '/reports/mine', summary: "The caller's reports with their status, newest first.", auth: 'user', query: mineQuery, response: { status: 200, description: '{ reports, nextCursor }' } },
  { method: 'post', path: '/messages/:id/report', summary: 'Report a message (free-text reason; the same model as POST /api/reports).', auth: 'user', params: { id: z.uuid() }, body: messageReportBody, response: { status: 201, description: '{ report } (200 when already reported)' } },
  { method: 'post', path: '/match/sessions/:id/report', summary: 'Report the peer of a random-match session (free-text reason; the same model as POST /api/reports).', auth: 'user', params: { id: z.uuid() }, body: matchReportBody, response: { status: 201, description: '{ report } (200 when already reported)' } },
  { method: 'post', path: '/appeals', summary: 'Appeal a decision on the caller, once.', auth: 'user', body: appealBody, response: { status: 201, description: '{ appeal }' } },
  { method: 'post', path: '/appeals/with-token', summary: "A suspended user's appeal, with the appealToken of their refused login.", auth: 'none', body: appealWithTokenBody, response: { status: 201, description: '{ appeal }' } },
];
