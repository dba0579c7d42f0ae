import { isXinyiError, type XinyiError } from '../../sdk/errors.js';

/** What `fn` throws; fails the test when it returns instead. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, but it returned');
}

/** The `XinyiError` `fn` throws; fails the test when it returns or throws anything else. */
export function thrownXinyiError(fn: () => unknown): XinyiError {
  const error = thrown(fn);
  if (isXinyiError(error)) return error;
  throw error;
}
