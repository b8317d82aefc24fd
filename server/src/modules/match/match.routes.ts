import { Router } from 'express';
import { z } from 'zod';
import { matchReportBody } from '../../../../shared/match.js';
import { principalOf, requireAuth } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import type { AuthService } from '../auth/auth.service.js';
import type { MatchService } from './match.service.js';

export function matchRoutes(auth: AuthService, match: MatchService): Router {
  const r = Router();
  r.post('/match/sessions/:id/report', requireAuth(auth), async (req, res) => {
    const id = parse(z.uuid(), req.params.id);
    const { reason } = parse(matchReportBody, req.body);
    const report = await match.report(principalOf(res).userId, id, reason);
    res.status(report.created ? 201 : 200).json({ report });
  });
  return r;
}
