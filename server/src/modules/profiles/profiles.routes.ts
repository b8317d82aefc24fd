import { Router } from 'express';
import { z } from 'zod';
import { int4Id } from '../../../../shared/input.js';
import { answerBody, discoverQuery, preferencesBody, profileBody } from '../../../../shared/profiles.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import type { ProfilesService } from './profiles.service.js';

export function profilesRoutes(guards: Guards, profiles: ProfilesService): Router {
  const r = Router();
  const { authed } = guards;
  const me = (res: Parameters<typeof principalOf>[0]) => principalOf(res).userId;

  r.get('/profile', authed, async (_req, res) => void res.json({ profile: await profiles.mine(me(res)) }));
  r.put('/profile', authed, async (req, res) => void res.json({ profile: await profiles.update(me(res), parse(profileBody, req.body)) }));
  r.put('/profile/preferences', authed, async (req, res) => void res.json({ profile: await profiles.setPreferences(me(res), parse(preferencesBody, req.body)) }));
  r.get('/users/:id/profile', authed, async (req, res) => void res.json({ profile: await profiles.publicProfile(principalOf(res), parse(z.uuid(), req.params.id)) }));
  r.get('/questions', authed, async (_req, res) => void res.json({ questions: await profiles.questions(me(res)) }));
  r.put('/questions/:id/answer', authed, async (req, res) => {
    await profiles.answer(me(res), parse(int4Id, req.params.id), parse(answerBody, req.body));
    res.status(204).end();
  });
  r.get('/discover', authed, async (req, res) => {
    const q = parse(discoverQuery, req.query);
    res.json(await profiles.discover(principalOf(res), q.cursor, q.limit));
  });
  r.post('/discover/:id/like', authed, async (req, res) => void res.json(await profiles.swipe(me(res), parse(z.uuid(), req.params.id), 'like')));
  r.post('/discover/:id/pass', authed, async (req, res) => void res.json(await profiles.swipe(me(res), parse(z.uuid(), req.params.id), 'pass')));
  return r;
}
