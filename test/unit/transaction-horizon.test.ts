import { describe, expect, it } from 'vitest';
import { horizonParameter, horizonUsable, MAX_HORIZON_LAG } from '../../src/outbox/transaction-horizon.js';

describe('transaction horizon', () => {
  it('passes the low 32 bits of a 64-bit horizon', () => {
    expect(horizonParameter(7n)).toBe('7');
    expect(horizonParameter((3n << 32n) + 42n)).toBe('42');
  });

  it('refuses a horizon a billion transaction ids behind the server', () => {
    const next = (9n << 32n) + 5n;
    expect(horizonUsable(next, next)).toBe(true);
    expect(horizonUsable(next - MAX_HORIZON_LAG + 1n, next)).toBe(true);
    expect(horizonUsable(next - MAX_HORIZON_LAG, next)).toBe(false);
  });
});
