#!/usr/bin/env node
/**
 * Reads `npm audit --json` on stdin and prints one line for .ci/run:
 *   ok <counts>           no high or critical advisory
 *   fail <counts>         at least one high or critical advisory
 *   unreachable <why>     no report: the advisory endpoint could not be asked
 * npm audit exits non-zero in both of the last two cases; only the JSON tells
 * "the dependencies are vulnerable" from "nobody could tell".
 */
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  let report;
  try {
    report = JSON.parse(input);
  } catch {
    report = {};
  }
  const counts = report?.metadata?.vulnerabilities;
  if (!counts || typeof counts !== 'object') {
    const why = report?.message ?? report?.error?.summary ?? (input.trim() ? input.trim().slice(0, 200) : 'npm audit printed nothing');
    console.log(`unreachable ${String(why).replace(/\s+/g, ' ')}`);
    return;
  }
  const summary = ['critical', 'high', 'moderate', 'low', 'info'].map((level) => `${counts[level] ?? 0} ${level}`).join(', ');
  console.log(`${(counts.critical ?? 0) + (counts.high ?? 0) > 0 ? 'fail' : 'ok'} ${summary}`);
});
