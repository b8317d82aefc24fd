import { Router } from 'express';
import { z } from 'zod';
import { appealDecisionBody, auditQuery, decisionBody, roleBody, userSearchQuery, type AuditEntryView } from '../../../../shared/reports.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';
import type { AuditRow, AuditStore } from '../audit/audit.store.js';
import type { AdminUsersService } from './admin-users.service.js';
import type { DecisionsService } from './decisions.service.js';
import type { ReportsService } from './reports.service.js';

const decisionId = z.coerce.number().int().positive().max(2 ** 53);

const toAuditView = (a: AuditRow): AuditEntryView => ({ id: Number(a.id), actorId: a.actor_id, action: a.action, targetId: a.target_id, ip: a.ip, meta: a.meta, createdAt: a.created_at.toISOString() });

/** Mounted at /api/admin: the reports queue and its decisions, appeals, the audit log and user management. */
export function adminReportsRoutes(guards: Guards, d: { reports: ReportsService; decisions: DecisionsService; users: AdminUsersService; audit: Pick<AuditStore, 'search'> }): Router {
  const r = Router();
  r.use(guards.requireRole('admin'));
  r.get('/reports', async (_req, res) => {
    res.json(await d.reports.queue());
  });
  r.post('/users/:id/decisions', async (req, res) => {
    const id = parse(z.uuid(), req.params.id);
    res.status(201).json(await d.decisions.decide(principalOf(res).userId, id, parse(decisionBody, req.body), req.ip ?? null));
  });
  r.post('/appeals/:decisionId', async (req, res) => {
    const id = parse(decisionId, req.params.decisionId);
    const b = parse(appealDecisionBody, req.body);
    res.json(await d.decisions.reviewAppeal(principalOf(res).userId, id, b.outcome, req.ip ?? null));
  });
  r.get('/audit', async (req, res) => {
    const q = parse(auditQuery, req.query);
    const rows = await d.audit.search({ actorId: q.actorId, targetId: q.targetId, action: q.action, beforeId: q.cursor ?? null, limit: q.limit });
    res.json({ entries: rows.map(toAuditView), nextCursor: rows.length === q.limit ? Number(rows.at(-1)!.id) : null });
  });
  r.get('/users', async (req, res) => {
    const q = parse(userSearchQuery, req.query);
    res.json(await d.users.search(q.q, q.cursor, q.limit));
  });
  r.get('/users/:id', async (req, res) => {
    res.json(await d.users.detail(parse(z.uuid(), req.params.id)));
  });
  r.put('/users/:id/role', async (req, res) => {
    const id = parse(z.uuid(), req.params.id);
    res.json(await d.users.setRole(principalOf(res).userId, id, parse(roleBody, req.body).role, req.ip ?? null));
  });
  return r;
}

export const adminReportsRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/reports', summary: 'The review queue: reported users with their open reports (content as reported) and history, and open appeals.', auth: 'admin', response: { status: 200, description: '{ entries, appeals }' } },
  { method: 'post', path: '/users/:id/decisions', summary: 'Decide on a user: dismiss, remove_content, warn, suspend (until), ban or restore (audited).', auth: 'admin', params: { id: z.uuid() }, body: decisionBody, response: { status: 201, description: '{ decision, settled }' } },
  { method: 'post', path: '/appeals/:decisionId', summary: 'Uphold an appeal or reverse its decision (reverse restores a suspended or banned account).', auth: 'admin', params: { decisionId }, body: appealDecisionBody, response: { status: 200, description: '{ decision, restored }' } },
  { method: 'get', path: '/audit', summary: 'The audit log, newest first, by actor, target user and action.', auth: 'admin', query: auditQuery, response: { status: 200, description: '{ entries, nextCursor }' } },
  { method: 'get', path: '/users', summary: 'Search users by email, display name or id.', auth: 'admin', query: userSearchQuery, response: { status: 200, description: '{ users, nextCursor }' } },
  { method: 'get', path: '/users/:id', summary: "One user: standing, sessions, wallet and recent transfers, reports against and by them, decisions.", auth: 'admin', params: { id: z.uuid() }, response: { status: 200, description: '{ user, sessions, wallet, transfers, reportsAgainst, reportsBy }' } },
  { method: 'put', path: '/users/:id/role', summary: "Change a user's role: only an admin with two-factor sign-in on, never their own (audited).", auth: 'admin', params: { id: z.uuid() }, body: roleBody, response: { status: 200, description: '{ user }' } },
];
