// `xinyi devices` as an installer runs it: a child process, with the native modules present, missing,
// or standing in for hardware this machine does not have.
import { describe, expect, it } from 'vitest';
import { type DevicesReport, recogniseSerialPort, recogniseUsbDevice } from '../../cli/devices-command.js';
import { runXinyi } from './run-xinyi.js';

const standIns = ['--import', './test/cli/fixtures/native-stand-ins.mjs'];

describe('xinyi devices', () => {
  it('lists what this machine has and exits 0', async () => {
    const text = await runXinyi(['devices']);
    expect(text.code).toBe(0);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(/^serial ports( \(\d+\)|: cannot list)/m);
    expect(text.stdout).toMatch(/^HID devices( \(\d+\)|: cannot list)/m);

    const json = await runXinyi(['devices', '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as DevicesReport;
    if (report.serialPorts.available) {
      for (const port of report.serialPorts.items) {
        expect(port.recognised).toEqual(recogniseSerialPort(port));
      }
      if (report.serialPorts.items.length === 0) expect(text.stdout).toContain('no serial ports');
    }
    if (report.hidDevices.available && report.hidDevices.items.length === 0) {
      expect(text.stdout).toContain('no HID devices');
    }
  });

  it('works without serialport and node-hid, saying so, with exit code 0', async () => {
    const env = { XINYI_TEST_NATIVE_MODULES: 'missing' };
    const text = await runXinyi(['devices'], { env, nodeArgs: standIns });
    expect(text.code).toBe(0);
    expect(text.stderr).toBe('');
    expect(text.stdout).toContain('serial ports: cannot list (NATIVE_MODULE_UNAVAILABLE)');
    expect(text.stdout).toContain('npm install serialport');
    expect(text.stdout).toContain('HID devices: cannot list (NATIVE_MODULE_UNAVAILABLE)');
    expect(text.stdout).toContain('npm install node-hid');
    expect(text.stdout).toContain('USB ID-card readers: cannot list (NATIVE_MODULE_UNAVAILABLE)');
    expect(text.stdout).toContain('npm install usb');

    const json = await runXinyi(['devices', '--json'], { env, nodeArgs: standIns });
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as DevicesReport;
    expect(report.serialPorts).toMatchObject({ available: false, code: 'NATIVE_MODULE_UNAVAILABLE' });
    expect(report.hidDevices).toMatchObject({ available: false, code: 'NATIVE_MODULE_UNAVAILABLE' });
    expect(report.usbIdCardReaders).toMatchObject({ available: false, code: 'NATIVE_MODULE_UNAVAILABLE' });
  });

  it('marks a CH340 bridge, a Honeywell HID POS scanner and a USB ID-card reader among other devices', async () => {
    const env = { XINYI_TEST_NATIVE_MODULES: 'fake' };
    const json = await runXinyi(['devices', '--json'], { env, nodeArgs: standIns });
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as DevicesReport;
    if (!report.serialPorts.available || !report.hidDevices.available) throw new Error(json.stdout);
    expect(report.serialPorts.items.map((p) => [p.path, p.recognised?.kind ?? null])).toEqual([
      ['/dev/ttyACM0', null],
      ['/dev/ttyUSB0', 'serial-bridge'],
    ]);
    expect(
      report.hidDevices.items.map((d) => [d.path, d.vendorId, d.productId, d.recognised?.label ?? null]),
    ).toEqual([
      ['/dev/hidraw0', '0c2e', '0b61', 'HID POS barcode scanner (Honeywell)'],
      ['/dev/hidraw1', '046d', 'c31c', null],
    ]);

    if (!report.usbIdCardReaders.available) throw new Error(json.stdout);
    // The stand-in's bus holds a reader with the SAM pipes and a keyboard: only the reader is listed.
    expect(report.usbIdCardReaders.items).toEqual([
      {
        vendorId: '0400',
        productId: 'c35a',
        manufacturer: 'Example',
        product: 'ID reader',
        serialNumber: 'SN-1',
        samInterface: 0,
        recognised: recogniseUsbDevice({ samInterface: 0 }),
      },
    ]);

    const text = await runXinyi(['devices'], { env, nodeArgs: standIns });
    const lines = text.stdout.split('\n');
    expect(lines.find((l) => l.includes('usb:0400:c35a'))).toContain('✓ ID-card reader, SAM on USB');
    expect(lines.find((l) => l.includes('/dev/ttyUSB0'))).toContain('✓ serial bridge');
    expect(lines.find((l) => l.includes('/dev/ttyACM0'))).not.toContain('✓');
    expect(lines.find((l) => l.includes('/dev/hidraw0'))).toContain('✓ HID POS barcode scanner (Honeywell)');
    expect(lines.find((l) => l.includes('/dev/hidraw1'))).not.toContain('✓');
    expect(text.stdout).toContain('3 devices the SDK recognises (✓)');
  });
});
