import { assertJanusInstalled, startJanus } from '../support/janus.js';
import { assertNetnsSupport, createNetns } from '../support/netns.js';

/**
 * `node --import tsx test/load/janus.ts`: a real Janus for load runs, in a
 * network namespace of its own (as the tests run it), until Ctrl-C. Prints
 * the SFU_JANUS_INSTANCES value to start Pairly's nodes with, e.g.
 *   SFU_JANUS_INSTANCES='…' npm run cluster -- --nodes 2
 *   npm run load -- calls --url http://127.0.0.1:4001 --url http://127.0.0.1:4002 --clients 20 --duration 20
 */
assertNetnsSupport();
assertJanusInstalled();
const netns = createNetns();
const janus = await startJanus(netns);
const instances = [{ id: 'janus-load', apiUrl: janus.apiUrl, clientUrl: janus.wsUrl, adminSecret: janus.adminKey }];
console.log(`Janus is up in namespace ${netns.name}.`);
console.log(`SFU_JANUS_INSTANCES='${JSON.stringify(instances)}'`);
const stop = async () => {
  await janus.stop();
  netns.remove();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
