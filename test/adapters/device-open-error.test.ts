// The device-open error mapping: what the OS or the driver said (an errno, strerror words, or nothing)
// becomes DEVICE_NOT_FOUND / DEVICE_PERMISSION_DENIED / DEVICE_BUSY with the path and the reason.
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type DeviceNodeAccess,
  deviceOpenError,
  HID_DEVICE_HINTS,
  SERIAL_PORT_HINTS,
} from '../../adapters/device-open-error.js';

const dir = mkdtempSync(join(tmpdir(), 'xinyi-device-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An errno error as `fs.accessSync` throws it. */
function errnoError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const words: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
  };
  return Object.assign(new Error(`${code}: ${words[code]}, ${syscall} '${path}'`), { code, syscall, path });
}

/** An access check that answers as told and records what it was asked. */
function accessAnswering(code: string | undefined) {
  const asked: [string, number][] = [];
  const access: DeviceNodeAccess = (path, mode) => {
    asked.push([path, mode]);
    if (code !== undefined) throw errnoError(code, 'access', path);
  };
  return { access, asked };
}

describe('deviceOpenError', () => {
  it('maps the words drivers use (serialport, node-hid 3 on hidraw) without looking at the node', () => {
    const cases: [string, string, string, string, string][] = [
      // target, driver's message, code, reason, explanation
      [
        '/dev/ttyUSB9',
        'Error: No such file or directory, cannot open /dev/ttyUSB9',
        'DEVICE_NOT_FOUND',
        'ENOENT',
        'it does not exist',
      ],
      [
        '/dev/ttyUSB0',
        'Error Resource temporarily unavailable Cannot lock port',
        'DEVICE_BUSY',
        'EBUSY',
        'another process holds it',
      ],
      [
        '/dev/hidraw3',
        "cannot open device with path /dev/hidraw3: Failed to open a device with path '/dev/hidraw3': Permission denied",
        'DEVICE_PERMISSION_DENIED',
        'EACCES',
        'permission denied',
      ],
      [
        '/dev/hidraw4',
        "cannot open device with path /dev/hidraw4: Failed to open a device with path '/dev/hidraw4': No such file or directory",
        'DEVICE_NOT_FOUND',
        'ENOENT',
        'it does not exist',
      ],
      [
        '/dev/ttyS0',
        "cannot open device with path /dev/ttyS0: ioctl(GRDESCSIZE) error for '/dev/ttyS0', not a HIDRAW device?: Inappropriate ioctl for device",
        'DEVICE_NOT_FOUND',
        'ENOTTY',
        'it is not a device of that kind',
      ],
    ];
    for (const [target, message, code, reason, explanation] of cases) {
      const { access, asked } = accessAnswering('EACCES');
      const cause = new Error(message.replace(/^Error:? ?/, ''));
      const error = deviceOpenError('device', target, cause, {}, { access });
      expect(error.code, message).toBe(code);
      expect(error.details, message).toEqual({ path: target, reason, osMessage: cause.message });
      expect(error.message).toBe(
        `cannot open device ${target}: ${explanation} (${reason}: ${cause.message})`,
      );
      expect(error.cause).toBe(cause);
      // The driver said why: the node is not looked at.
      expect(asked, message).toEqual([]);
    }
  });

  it('node-hid saying only "cannot open device with path …": the node tells not found from permission denied', () => {
    const path = '/dev/hidraw7';
    const cause = new TypeError(`cannot open device with path ${path}`);

    const missing = accessAnswering('ENOENT');
    const notFound = deviceOpenError('HID device', path, cause, HID_DEVICE_HINTS, { access: missing.access });
    expect(missing.asked).toEqual([[path, constants.R_OK | constants.W_OK]]);
    expect(notFound.code).toBe('DEVICE_NOT_FOUND');
    expect(notFound.details).toEqual({
      path,
      reason: 'ENOENT',
      osMessage: `cannot open device with path ${path}; ENOENT: no such file or directory, access '${path}'`,
    });
    expect(notFound.message).toBe(
      `cannot open HID device ${path}: it does not exist (ENOENT: ${notFound.details.osMessage}); ${HID_DEVICE_HINTS.DEVICE_NOT_FOUND}`,
    );

    const denied = accessAnswering('EACCES');
    const refused = deviceOpenError('HID device', path, cause, HID_DEVICE_HINTS, { access: denied.access });
    expect(refused.code).toBe('DEVICE_PERMISSION_DENIED');
    expect(refused.details).toMatchObject({ path, reason: 'EACCES' });
    expect(refused.message).toMatch(
      /: permission denied \(EACCES: .*\); give the daemon's user the hidraw node/,
    );

    // A node this user may use, which the driver still refuses: no reason invented.
    const allowed = accessAnswering(undefined);
    const other = deviceOpenError('HID device', path, cause, HID_DEVICE_HINTS, { access: allowed.access });
    expect(other.code).toBe('DEVICE_NOT_FOUND');
    expect(other.details).toMatchObject({ path, reason: 'UNKNOWN' });
    expect(other.message).toContain(
      'it exists and this user may read and write it, but the driver cannot open it',
    );
  });

  it('looks at nothing that is not a node path (a libusb path), nor without an access check', () => {
    const { access, asked } = accessAnswering('EACCES');
    const libusb = deviceOpenError(
      'HID device',
      '1-2:1.0',
      new Error('cannot open device with path 1-2:1.0'),
      {},
      {
        access,
      },
    );
    expect(asked).toEqual([]);
    expect(libusb.details).toMatchObject({ path: '1-2:1.0', reason: 'UNKNOWN' });
    const plain = deviceOpenError(
      'HID device',
      '/dev/hidraw7',
      new Error('cannot open device with path /dev/hidraw7'),
    );
    expect(plain.details).toMatchObject({ reason: 'UNKNOWN' });
  });

  it('with the real fs: a node that is not there is ENOENT', () => {
    const missing = join(dir, 'hidraw9');
    const error = deviceOpenError(
      'HID device',
      missing,
      new Error(`cannot open device with path ${missing}`),
      HID_DEVICE_HINTS,
      { access: accessSync },
    );
    expect(error.code).toBe('DEVICE_NOT_FOUND');
    expect(error.details.reason).toBe('ENOENT');
  });

  it('an errno error (fs.accessSync at start) is named once, not as "EACCES: EACCES: …"', () => {
    const error = deviceOpenError(
      'serial port',
      '/dev/ttyUSB0',
      errnoError('EACCES', 'access', '/dev/ttyUSB0'),
      SERIAL_PORT_HINTS,
    );
    expect(error.code).toBe('DEVICE_PERMISSION_DENIED');
    expect(error.message).toBe(
      `cannot open serial port /dev/ttyUSB0: permission denied (EACCES: permission denied, access '/dev/ttyUSB0'); ${SERIAL_PORT_HINTS.DEVICE_PERMISSION_DENIED}`,
    );
  });
});
