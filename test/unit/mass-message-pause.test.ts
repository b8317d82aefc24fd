import { describe, expect, it } from 'vitest';
import { massPauseMs } from '../../server/src/modules/mass-messages/mass-messages.service.js';

describe('massPauseMs', () => {
  it('rests what is left of the batch\'s share of a second under the cap', () => {
    expect(massPauseMs(500, 50, 2000)).toBe(200);
    expect(massPauseMs(500, 300, 2000)).toBe(0);
    expect(massPauseMs(1, 0, 1)).toBe(1000);
  });
  it('never rests without a cap or after an empty batch', () => {
    expect(massPauseMs(500, 10, 0)).toBe(0);
    expect(massPauseMs(0, 10, 2000)).toBe(0);
  });
});
