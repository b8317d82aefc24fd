import { Router } from 'express';
import { z } from 'zod';
import { matchReportBody } from '../../../../shared/match.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import type { MatchService } from './match.service.js';
import type { RouteDoc } from '../../http/route-docs.js';

export function matchRoutes(guards: Guards, match: MatchService): Router {
  const r = Router();
  r.post('/match/sessions/:id/report', guards.authed, async (req, res) => {
    const id = parse(z.uuid(), req.params.id);
    const { reason } = parse(matchReportBody, req.body);
    const report = await match.report(principalOf(res).userId, id, reason);
    res.status(report.created ? 201 : 200).json({ report });
  });
  return r;
}

export const matchRouteDocs: RouteDoc[] = [
  { method: 'post', path: '/match/sessions/:id/report', summary: 'Report the peer of a random-match session.', auth: 'user', params: { id: z.uuid() }, body: matchReportBody, response: { status: 201, description: '{ report } (200 when already reported)' } },
];
