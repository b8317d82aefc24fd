import type { JobHandler } from '../../jobs/jobs.js';
import type { FeedService } from './posts.feed.js';

export function postsJobs(feed: FeedService): { 'posts.fan-out': JobHandler<'posts.fan-out'>; 'posts.fanout-sweep': JobHandler<'posts.fanout-sweep'> } {
  return {
    'posts.fan-out': async (p) => void (await feed.fanout(p.postId)),
    'posts.fanout-sweep': async () => void (await feed.sweep()),
  };
}
