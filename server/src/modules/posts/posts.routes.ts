import { Router } from 'express';
import { z } from 'zod';
import { commentBody, createPostBody, feedQuery, postSearchQuery, unlockPostBody, updatePostBody } from '../../../../shared/posts.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';
import type { FeedService } from './posts.feed.js';
import type { PostsService } from './posts.service.js';

const id = z.uuid();
const commentParams = { id, commentId: z.uuid() };

export function postsRoutes(guards: Guards, posts: PostsService, feed: FeedService): Router {
  const r = Router();
  const { authed } = guards;
  const viewer = (res: Parameters<typeof principalOf>[0]) => {
    const p = principalOf(res);
    return { userId: p.userId, role: p.role };
  };

  r.post('/posts', authed, async (req, res) => {
    const b = parse(createPostBody, req.body);
    res.status(201).json({ post: await posts.create(viewer(res), b) });
  });
  r.get('/posts/:id', authed, async (req, res) => {
    res.json({ post: await posts.get(viewer(res), parse(id, req.params.id)) });
  });
  r.patch('/posts/:id', authed, async (req, res) => {
    const postId = parse(id, req.params.id);
    res.json({ post: await posts.update(viewer(res), postId, parse(updatePostBody, req.body)) });
  });
  r.delete('/posts/:id', authed, async (req, res) => {
    await posts.remove(viewer(res), parse(id, req.params.id));
    res.status(204).end();
  });
  r.put('/posts/:id/pin', authed, async (req, res) => {
    res.json({ post: await posts.pin(viewer(res), parse(id, req.params.id), true) });
  });
  r.delete('/posts/:id/pin', authed, async (req, res) => {
    res.json({ post: await posts.pin(viewer(res), parse(id, req.params.id), false) });
  });
  r.post('/posts/:id/unlock', authed, async (req, res) => {
    const postId = parse(id, req.params.id);
    const { expectedPrice } = parse(unlockPostBody, req.body);
    res.json(await posts.unlock(viewer(res), postId, expectedPrice));
  });
  r.put('/posts/:id/like', authed, async (req, res) => {
    res.json(await posts.like(viewer(res), parse(id, req.params.id), true));
  });
  r.delete('/posts/:id/like', authed, async (req, res) => {
    res.json(await posts.like(viewer(res), parse(id, req.params.id), false));
  });
  r.put('/posts/:id/bookmark', authed, async (req, res) => {
    res.json(await posts.bookmark(viewer(res), parse(id, req.params.id), true));
  });
  r.delete('/posts/:id/bookmark', authed, async (req, res) => {
    res.json(await posts.bookmark(viewer(res), parse(id, req.params.id), false));
  });
  r.get('/posts/:id/comments', authed, async (req, res) => {
    const postId = parse(id, req.params.id);
    const q = parse(feedQuery, req.query);
    res.json(await posts.comments(viewer(res), postId, q.cursor, q.limit));
  });
  r.post('/posts/:id/comments', authed, async (req, res) => {
    const postId = parse(id, req.params.id);
    const { body } = parse(commentBody, req.body);
    res.status(201).json({ comment: await posts.comment(viewer(res), postId, body) });
  });
  r.delete('/posts/:id/comments/:commentId', authed, async (req, res) => {
    const postId = parse(id, req.params.id);
    await posts.deleteComment(viewer(res), postId, parse(commentParams.commentId, req.params.commentId));
    res.status(204).end();
  });
  r.get('/feed', authed, async (req, res) => {
    const q = parse(feedQuery, req.query);
    res.json(await feed.feed(viewer(res), q.cursor, q.limit));
  });
  r.get('/bookmarks', authed, async (req, res) => {
    const q = parse(feedQuery, req.query);
    res.json(await feed.bookmarks(viewer(res), q.cursor, q.limit));
  });
  r.get('/search/posts', authed, async (req, res) => {
    const q = parse(postSearchQuery, req.query);
    res.json(await feed.search(viewer(res), q.q, q.cursor, q.limit));
  });
  r.get('/creators/:id/posts', authed, async (req, res) => {
    const creatorId = parse(id, req.params.id);
    const q = parse(feedQuery, req.query);
    res.json(await feed.creatorPosts(viewer(res), creatorId, q.cursor, q.limit));
  });
  return r;
}

const post = { status: 200, description: '{ post }' } as const;
export const postsRouteDocs: RouteDoc[] = [
  { method: 'post', path: '/posts', summary: 'Publish (or schedule) a post: text, media, visibility (creators only).', auth: 'user', body: createPostBody, response: { status: 201, description: '{ post }' } },
  { method: 'get', path: '/posts/:id', summary: 'A post as the caller may see it (locked: no body, blurred media, what opens it).', auth: 'user', params: { id }, response: post },
  { method: 'patch', path: '/posts/:id', summary: "Edit one's post (its visibility is fixed once a pay-per-view post was bought).", auth: 'user', params: { id }, body: updatePostBody, response: post },
  { method: 'delete', path: '/posts/:id', summary: "Delete one's post (its buyers keep it).", auth: 'user', params: { id }, response: { status: 204, description: 'deleted' } },
  { method: 'put', path: '/posts/:id/pin', summary: "Pin one's post (a few per creator).", auth: 'user', params: { id }, response: post },
  { method: 'delete', path: '/posts/:id/pin', summary: "Unpin one's post.", auth: 'user', params: { id }, response: post },
  { method: 'post', path: '/posts/:id/unlock', summary: 'Pay to see a pay-per-view post at the price shown (expectedPrice); once per buyer.', auth: 'user', params: { id }, body: unlockPostBody, response: { status: 200, description: '{ post, charged, replayed }' } },
  { method: 'put', path: '/posts/:id/like', summary: 'Like a post (idempotent).', auth: 'user', params: { id }, response: { status: 200, description: '{ liked, likes }' } },
  { method: 'delete', path: '/posts/:id/like', summary: 'Take a like back.', auth: 'user', params: { id }, response: { status: 200, description: '{ liked, likes }' } },
  { method: 'put', path: '/posts/:id/bookmark', summary: 'Bookmark a post (idempotent).', auth: 'user', params: { id }, response: { status: 200, description: '{ bookmarked }' } },
  { method: 'delete', path: '/posts/:id/bookmark', summary: 'Remove a bookmark.', auth: 'user', params: { id }, response: { status: 200, description: '{ bookmarked }' } },
  { method: 'get', path: '/posts/:id/comments', summary: "A post's comments, newest first.", auth: 'user', params: { id }, query: feedQuery, response: { status: 200, description: '{ comments, nextCursor }' } },
  { method: 'post', path: '/posts/:id/comments', summary: 'Comment on a post (unless its creator turned comments off).', auth: 'user', params: { id }, body: commentBody, response: { status: 201, description: '{ comment }' } },
  { method: 'delete', path: '/posts/:id/comments/:commentId', summary: "Delete one's comment (the post's creator: any on it).", auth: 'user', params: commentParams, response: { status: 204, description: 'deleted' } },
  { method: 'get', path: '/feed', summary: 'Posts of the creators the caller follows or subscribes to, newest first.', auth: 'user', query: feedQuery, response: { status: 200, description: '{ posts, nextCursor }' } },
  { method: 'get', path: '/bookmarks', summary: "The caller's bookmarked posts, newest bookmark first.", auth: 'user', query: feedQuery, response: { status: 200, description: '{ posts, nextCursor }' } },
  { method: 'get', path: '/search/posts', summary: 'Posts whose text matches q (full text), best match first, among those the caller may read in full (a locked post never matches).', auth: 'user', query: postSearchQuery, response: { status: 200, description: '{ posts, nextCursor }' } },
  { method: 'get', path: '/creators/:id/posts', summary: "One creator's posts (by user id): pinned first, then newest first.", auth: 'user', params: { id }, query: feedQuery, response: { status: 200, description: '{ posts, nextCursor }' } },
];
