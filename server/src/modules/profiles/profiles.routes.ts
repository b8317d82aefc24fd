import { Router } from 'express';
import { z } from 'zod';
import { int4Id } from '../../../../shared/input.js';
import { answerBody, datingPageQuery, discoverQuery, preferencesBody, profileBody, profilePhotosBody } from '../../../../shared/profiles.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import type { ProfilesService } from './profiles.service.js';
import type { RouteDoc } from '../../http/route-docs.js';

export function profilesRoutes(guards: Guards, profiles: ProfilesService): Router {
  const r = Router();
  const { authed } = guards;
  const me = (res: Parameters<typeof principalOf>[0]) => principalOf(res).userId;

  r.get('/profile', authed, async (_req, res) => void res.json({ profile: await profiles.mine(me(res)) }));
  r.put('/profile', authed, async (req, res) => void res.json({ profile: await profiles.update(me(res), parse(profileBody, req.body)) }));
  r.put('/profile/preferences', authed, async (req, res) => void res.json({ profile: await profiles.setPreferences(me(res), parse(preferencesBody, req.body)) }));
  r.put('/profile/photos', authed, async (req, res) => void res.json({ profile: await profiles.setPhotos(me(res), parse(profilePhotosBody, req.body)) }));
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
  r.get('/matches', authed, async (req, res) => {
    const q = parse(datingPageQuery, req.query);
    res.json(await profiles.matches(principalOf(res), q.cursor, q.limit));
  });
  r.delete('/matches/:userId', authed, async (req, res) => {
    await profiles.unmatch(me(res), parse(z.uuid(), req.params.userId));
    res.status(204).end();
  });
  r.get('/likes', authed, async (req, res) => {
    const q = parse(datingPageQuery, req.query);
    res.json(await profiles.likes(principalOf(res), q.cursor, q.limit));
  });
  return r;
}

export const profilesRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/profile', summary: "The caller's profile.", auth: 'user', response: { status: 200, description: '{ profile }' } },
  { method: 'put', path: '/profile', summary: "Replace the caller's profile.", auth: 'user', body: profileBody, response: { status: 200, description: '{ profile }' } },
  { method: 'put', path: '/profile/preferences', summary: 'Who the caller wants to be shown, and who may message or call them (whoCanMessage: matches or everyone).', auth: 'user', body: preferencesBody, response: { status: 200, description: '{ profile }' } },
  {
    method: 'put',
    path: '/profile/photos',
    summary: "The caller's photos in order (the first primary; up to 6), avatar and cover: media items of theirs, uploaded.",
    auth: 'user',
    body: profilePhotosBody,
    response: { status: 200, description: '{ profile }' },
  },
  { method: 'get', path: '/users/:id/profile', summary: "Another user's public profile.", auth: 'user', params: { id: z.uuid() }, response: { status: 200, description: '{ profile }' } },
  { method: 'get', path: '/questions', summary: 'The compatibility questions and the caller\'s answers.', auth: 'user', response: { status: 200, description: '{ questions }' } },
  { method: 'put', path: '/questions/:id/answer', summary: 'Answer a question.', auth: 'user', params: { id: int4Id }, body: answerBody, response: { status: 204, description: 'answered' } },
  { method: 'get', path: '/discover', summary: 'Profiles to swipe, best match first.', auth: 'user', query: discoverQuery, response: { status: 200, description: 'profiles and cursor' } },
  { method: 'post', path: '/discover/:id/like', summary: 'Like a profile; a mutual like opens a conversation.', auth: 'user', params: { id: z.uuid() }, response: { status: 200, description: 'whether it matched' } },
  { method: 'post', path: '/discover/:id/pass', summary: 'Pass on a profile.', auth: 'user', params: { id: z.uuid() }, response: { status: 200, description: 'recorded' } },
  { method: 'get', path: '/matches', summary: "The caller's matches, newest first, each with the conversation it opened.", auth: 'user', query: datingPageQuery, response: { status: 200, description: '{ matches, nextCursor }' } },
  {
    method: 'delete',
    path: '/matches/:userId',
    summary: 'Unmatch: the match ends, its conversation closes for both (a new match opens it again), both hear match:unmatched.',
    auth: 'user',
    params: { userId: z.uuid() },
    response: { status: 204, description: 'unmatched (404 NOT_FOUND without a match)' },
  },
  { method: 'get', path: '/likes', summary: 'Who liked the caller and waits for an answer, newest first.', auth: 'user', query: datingPageQuery, response: { status: 200, description: '{ likes, nextCursor }' } },
];
