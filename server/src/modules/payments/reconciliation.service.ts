import type { ReconciliationStore } from './reconciliation.store.js';

/** What others may read of reconciliation (the admin view); runs happen in the payments.reconcile job. */
export class ReconciliationService {
  constructor(private readonly store: ReconciliationStore) {}

  /** The last finished run with its discrepancies; undefined before the first. */
  latest() {
    return this.store.latest();
  }
}
