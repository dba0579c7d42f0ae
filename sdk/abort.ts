import { XinyiError } from './errors.js';

/** Options of a call that the caller may stop (`present()`, a device's `open()` and `close()`). */
export interface AbortOptions {
  /** Stops the call: it rejects with `ABORTED`, the signal's reason in `cause`. */
  signal?: AbortSignal;
}

/** The signal of `options`, checked: `INVALID_ARGUMENT` naming `what` for anything but an `AbortSignal`. */
export function signalOf(options: AbortOptions | undefined, what: string): AbortSignal | undefined {
  const signal = options?.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new XinyiError('INVALID_ARGUMENT', `${what}: options.signal must be an AbortSignal`, {
      details: { option: 'signal' },
    });
  }
  return signal;
}

/** The `ABORTED` error for a call that `signal` stopped. */
export function abortedError(signal: AbortSignal, what: string): XinyiError {
  return new XinyiError('ABORTED', `${what} aborted`, { cause: signal.reason });
}

/** Resolves as `work` does, or rejects with `ABORTED` as soon as `signal` fires (`work` runs on). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) return Promise.reject(abortedError(signal, what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
