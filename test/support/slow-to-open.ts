import type { Transport } from '../../adapters/transport/transport.js';

/**
 * `transport` with an `open()` that waits until the test calls `finish()`: for what a driver does
 * while its port is opening (an abort, a `close()` that overtakes the opening).
 */
export function slowToOpen<T extends Transport>(transport: T): { transport: T; finish: () => void } {
  let finish!: () => void;
  const held = new Promise<void>((resolve) => {
    finish = resolve;
  });
  // Bound to the real end: its methods use private fields, which a proxy as `this` cannot reach.
  const slow = new Proxy(transport, {
    get: (target, key) => {
      if (key === 'open') {
        return async () => {
          await held;
          await target.open();
        };
      }
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { transport: slow, finish };
}
