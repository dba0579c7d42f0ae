import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCAN_RATE_LIMIT,
  hasLineBreak,
  isBlankScanText,
  ScanRateLimiter,
} from '../../../adapters/scanner/index.js';

describe('ScanRateLimiter', () => {
  it('hands out the burst at once, then one per interval, refilling in fractions', () => {
    const limiter = new ScanRateLimiter('test', { burst: 3, intervalMs: 1000 });
    expect([limiter.take(0), limiter.take(0), limiter.take(0), limiter.take(0)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(limiter.take(999)).toBe(false);
    expect(limiter.take(1000)).toBe(true);
    expect(limiter.take(1500)).toBe(false);
    // Half a token at 1500 and half at 2000 make one.
    expect(limiter.take(2000)).toBe(true);
    // A long pause refills to the burst, not beyond it.
    expect([limiter.take(60_000), limiter.take(60_000), limiter.take(60_000), limiter.take(60_000)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('a clock that steps back refills nothing', () => {
    const limiter = new ScanRateLimiter('test', { burst: 1, intervalMs: 1000 });
    expect(limiter.take(5000)).toBe(true);
    expect(limiter.take(1000)).toBe(false);
    expect(limiter.take(5999)).toBe(false);
    expect(limiter.take(6000)).toBe(true);
  });

  it('defaults to 3 at once and 60 a minute; bad limits are INVALID_OPTIONS naming the option', () => {
    expect(DEFAULT_SCAN_RATE_LIMIT).toEqual({ burst: 3, intervalMs: 1000 });
    for (const [limit, option] of [
      [{ burst: 0 }, 'burst'],
      [{ burst: 1.5 }, 'burst'],
      [{ intervalMs: 0 }, 'intervalMs'],
      [{ intervalMs: Number.NaN }, 'intervalMs'],
    ] as const) {
      expect(() => new ScanRateLimiter('scanner', limit)).toThrow(new RegExp(`rateLimit.${option}`));
    }
  });
});

describe('scan text checks', () => {
  it('hasLineBreak: a CR or LF between visible characters, not at either end', () => {
    expect(hasLineBreak('A\rB')).toBe(true);
    expect(hasLineBreak('A\n\nB')).toBe(true);
    expect(hasLineBreak('QZ1:ABC\r\n')).toBe(false);
    expect(hasLineBreak('\nQZ1:ABC')).toBe(false);
    expect(hasLineBreak('A\tB\u001dC')).toBe(false);
  });

  it('isBlankScanText: whitespace and GS1 / ISO 15434 separators only', () => {
    for (const blank of ['', ' ', '\t', '\u001d', '\u001c\u001e\u0004', ' \t\u001d\r\n']) {
      expect(isBlankScanText(blank), JSON.stringify(blank)).toBe(true);
    }
    for (const text of ['0', '\u001d01', '[)>\u001e06\u001dP12345\u001e\u0004', '阿']) {
      expect(isBlankScanText(text), JSON.stringify(text)).toBe(false);
    }
  });
});
