import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { analyticsRangeQuery, analyticsRollupBody } from '../../../../shared/analytics.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AnalyticsService } from './analytics.service.js';

export function analyticsRoutes(d: { guards: Guards; analytics: AnalyticsService; audit: Pick<AuditService, 'record'> }): Router {
  const r = Router();
  const admin = d.guards.requireRole('admin');
  r.get('/admin/analytics', admin, async (req, res) => {
    const q = parse(analyticsRangeQuery, req.query);
    res.json({ analytics: await d.analytics.admin(q.from, q.to) });
  });
  r.post('/admin/analytics/rollup', admin, async (req, res) => {
    const b = parse(analyticsRollupBody, req.body);
    const requestId = randomUUID();
    const days = await d.analytics.enqueueRollups(b.from, b.to, requestId);
    d.audit.record({ key: `analytics_rollup:${requestId}`, actorId: principalOf(res).userId, action: 'admin.analytics_rollup', ip: req.ip ?? null, meta: { from: b.from, to: b.to } });
    res.status(202).json({ days });
  });
  r.get('/creator/analytics', d.guards.requireRole('creator'), async (req, res) => {
    const q = parse(analyticsRangeQuery, req.query);
    res.json({ analytics: await d.analytics.creator(principalOf(res).userId, q.from, q.to) });
  });
  return r;
}

/** Mounted at /api. */
export const analyticsRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/admin/analytics', summary: 'Platform figures per UTC day (active users, events, funnel, retention, revenue) over inclusive days, from the daily roll-ups.', auth: 'admin', query: analyticsRangeQuery, response: { status: 200, description: '{ analytics: { from, to, days } }' } },
  { method: 'post', path: '/admin/analytics/rollup', summary: 'Roll these inclusive days up again now, one job per day (audited).', auth: 'admin', body: analyticsRollupBody, response: { status: 202, description: '{ days }' } },
  { method: 'get', path: '/creator/analytics', summary: "The calling creator's followers, subscribers, churn and earnings per UTC day over inclusive days.", auth: 'user', query: analyticsRangeQuery, response: { status: 200, description: '{ analytics: { from, to, days } }' } },
];
