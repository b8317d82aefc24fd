import { getHeapStatistics } from 'node:v8';
import type { ReadinessCheck } from './health.routes.js';

const MB = 1024 * 1024;

/**
 * Readiness fails while the process is short of memory, so that the load
 * balancer stops sending it new connections before V8 runs out of heap
 * (the heap's own limit) or the machine or container runs out of RAM
 * (an RSS ceiling, off unless configured: RSS also holds socket buffers and
 * PGlite, and only the operator knows the container's limit).
 */
export function memoryCheck(o: { maxRssMb: number; maxHeapFraction: number }): ReadinessCheck {
  return {
    name: 'memory',
    async check() {
      const problems: string[] = [];
      const heap = getHeapStatistics();
      if (heap.used_heap_size > o.maxHeapFraction * heap.heap_size_limit) {
        problems.push(`heap ${mb(heap.used_heap_size)} MB over ${o.maxHeapFraction} of its ${mb(heap.heap_size_limit)} MB limit`);
      }
      const rss = process.memoryUsage.rss();
      if (o.maxRssMb > 0 && rss > o.maxRssMb * MB) problems.push(`rss ${mb(rss)} MB over ${o.maxRssMb} MB`);
      if (problems.length) throw new Error(problems.join('; '));
    },
  };
}

const mb = (bytes: number) => Math.round(bytes / MB);
