import { Router } from 'express';
import { deleteMeBody, exportId } from '../../../../shared/erasure.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';
import type { DeletionService } from './deletion.service.js';
import type { ExportsService } from './exports.service.js';

/** Mounted at /api/me, beside the users module's own routes there. */
export function erasureRoutes(guards: Guards, deletion: DeletionService, exports: ExportsService): Router {
  const r = Router();
  const { authed } = guards;
  r.delete('/', authed, async (req, res) => {
    res.status(202).json(await deletion.request(principalOf(res).userId, parse(deleteMeBody, req.body), req.ip ?? null));
  });
  r.post('/export', authed, async (_req, res) => {
    res.status(202).json({ export: await exports.request(principalOf(res).userId) });
  });
  r.get('/exports', authed, async (_req, res) => {
    res.json({ exports: await exports.list(principalOf(res).userId) });
  });
  r.get('/exports/:id', authed, async (req, res) => {
    const { filename, archive } = await exports.download(principalOf(res).userId, parse(exportId, req.params.id));
    res.setHeader('content-disposition', `attachment; filename="${filename}"`);
    res.json(archive);
  });
  return r;
}

/** Mounted at /api/me. */
export const erasureRouteDocs: RouteDoc[] = [
  { method: 'delete', path: '/', summary: 'Delete the caller\'s account: logged out everywhere at once, anonymised after ACCOUNT_ERASE_DELAY_HOURS.', auth: 'user', body: deleteMeBody, response: { status: 202, description: '{ eraseAfter }' } },
  { method: 'post', path: '/export', summary: 'Ask for an archive of the caller\'s data (one a day); a job builds it and mails when it is ready.', auth: 'user', response: { status: 202, description: '{ export }' } },
  { method: 'get', path: '/exports', summary: 'The caller\'s data exports not yet expired, newest first.', auth: 'user', response: { status: 200, description: '{ exports }' } },
  { method: 'get', path: '/exports/:id', summary: 'Download one of the caller\'s exports (a JSON archive).', auth: 'user', params: { id: exportId }, response: { status: 200, description: 'the archive, as an attachment' } },
];
