import { describe, expect, it } from 'vitest';
import { cardReadStep } from '../../../adapters/id-card/reader.js';
import { XinyiError } from '../../../sdk/errors.js';

describe('cardReadStep (the reader’s retry decision for one tap, pure)', () => {
  const GRACE_MS = 80;

  it('retries a timeout or a damaged frame after the grace period, while retries remain', () => {
    for (const code of ['DEVICE_TIMEOUT', 'FRAME_CHECKSUM', 'FRAME_LENGTH'] as const) {
      expect(cardReadStep(new XinyiError(code, 'x'), 1, 2, GRACE_MS)).toEqual({
        retry: true,
        delayMs: GRACE_MS,
      });
      expect(cardReadStep(new XinyiError(code, 'x'), 2, 2, GRACE_MS).retry).toBe(true);
      expect(cardReadStep(new XinyiError(code, 'x'), 3, 2, GRACE_MS).retry).toBe(false);
    }
  });

  it('retries a transient card status at once, never a lasting one', () => {
    const transient = new XinyiError('DEVICE_STATUS', 'x', { details: { transient: true } });
    expect(cardReadStep(transient, 1, 2, GRACE_MS)).toEqual({ retry: true, delayMs: 0 });
    expect(cardReadStep(new XinyiError('DEVICE_STATUS', 'x'), 1, 2, GRACE_MS).retry).toBe(false);
  });

  it('never retries closing, a lost port or an error that is not an XinyiError', () => {
    expect(cardReadStep(new XinyiError('CLOSED', 'x'), 1, 5, GRACE_MS).retry).toBe(false);
    expect(cardReadStep(new XinyiError('DEVICE_DISCONNECTED', 'x'), 1, 5, GRACE_MS).retry).toBe(false);
    expect(cardReadStep(new TypeError('bug'), 1, 5, GRACE_MS).retry).toBe(false);
  });

  it('with retries 0 a tap is read once', () => {
    expect(cardReadStep(new XinyiError('DEVICE_TIMEOUT', 'x'), 1, 0, GRACE_MS).retry).toBe(false);
  });
});
