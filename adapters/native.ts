import { isXinyiError, XinyiError } from '../sdk/errors.js';

/** Optional native modules the hardware adapters use. The SDK core never needs them. */
export type NativeModuleName = 'serialport' | 'node-hid' | 'usb' | (string & {});

const HINTS: Record<string, string> = {
  serialport:
    'install it with `npm install serialport`; listing ports also needs udev (`apt-get install udev`)',
  'node-hid': 'install it with `npm install node-hid`; it needs libusb (`apt-get install libusb-1.0-0`)',
  'modbus-serial': 'install it with `npm install modbus-serial` (Modbus relay gate boards)',
  usb: "install it with `npm install usb` (USB ID-card readers on the SAM module's own USB pipes)",
};

const loaded = new Map<string, Promise<unknown>>();

/**
 * Loads an optional native module on first use, so that `import 'xinyi-terminal'` works on a machine
 * without libusb or serial drivers. Rejects with `NATIVE_MODULE_UNAVAILABLE` (the original error in
 * `cause`, and how to install it in the message) when the module is missing or its binding fails.
 */
export function loadNativeModule<T = unknown>(name: NativeModuleName): Promise<T> {
  let pending = loaded.get(name);
  if (!pending) {
    // A computed specifier keeps bundlers from resolving the module at build time.
    const specifier = name;
    pending = import(specifier).then(
      (mod: { default?: unknown }) => mod,
      (cause: unknown) => {
        loaded.delete(name);
        if (isXinyiError(cause)) throw cause;
        const hint = HINTS[name] ?? `install it with \`npm install ${name}\``;
        throw new XinyiError(
          'NATIVE_MODULE_UNAVAILABLE',
          `optional module ${name} could not be loaded: ${hint}`,
          {
            cause,
            details: { module: name },
          },
        );
      },
    );
    loaded.set(name, pending);
  }
  return pending as Promise<T>;
}
