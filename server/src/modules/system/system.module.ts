import type { ModuleWithServices } from '../../module.js';
import type { Authenticator } from '../../principal.js';
import { systemEvents } from './system.socket.js';

export function systemModule(d: { nodeId: string; auth: Authenticator }) {
  return { name: 'system', events: (router) => systemEvents(router, d.nodeId, d.auth) } satisfies ModuleWithServices;
}
