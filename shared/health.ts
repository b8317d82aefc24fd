/**
 * The readiness contract (`GET /readyz`): `checks` decide readiness (every
 * one must be "ok"); `breakers` are information only, one entry per circuit
 * breaker in front of an outside service (`payments:stripe`,
 * `sfu:<instance id>`). An open payment or Janus breaker does not make a
 * node unready: the outage is the same from every node, so taking nodes out
 * of rotation would only stop the work that does not need that service.
 */
export type CircuitState = 'closed' | 'half-open' | 'open';

export interface ReadyzBody {
  status: 'ready' | 'not_ready' | 'shutting_down';
  node: string;
  checks: Record<string, string>;
  breakers: Record<string, CircuitState>;
}
