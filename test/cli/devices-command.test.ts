// How `xinyi devices` recognises and prints what is connected. The command as an installer runs it (a
// child process, with the native modules present, missing, or standing in for hardware this machine
// does not have) is in devices-command.e2e.test.ts.
import { describe, expect, it } from 'vitest';
import {
  type DevicesReport,
  formatDevicesReport,
  recogniseHidDevice,
  recogniseSerialPort,
  recogniseUsbDevice,
} from '../../cli/devices-command.js';

describe('recognising devices', () => {
  it('marks the USB-serial bridges ID readers, scanners and gate boards sit behind', () => {
    for (const [vendorId, productId, chip] of [
      ['1a86', '7523', 'CH340'],
      ['10C4', 'EA60', 'CP210x'],
      ['0403', '6001', 'FTDI'],
      ['067b', '2303', 'Prolific'],
    ] as const) {
      const r = recogniseSerialPort({ vendorId, productId });
      expect(r?.kind).toBe('serial-bridge');
      expect(r?.label).toContain('serial bridge (ID reader, scanner or gate board)');
      expect(r?.label).toContain(chip);
    }
  });

  it('marks a scanner in USB serial mode by its vendor, and nothing else', () => {
    expect(recogniseSerialPort({ vendorId: '1eab', productId: '1d06' })).toEqual({
      kind: 'scanner',
      label: 'barcode scanner (Newland), serial mode',
    });
    expect(recogniseSerialPort({ vendorId: '2341', productId: '0043' })).toBeNull();
    expect(recogniseSerialPort({ vendorId: '1a86', productId: '55d4' })).toBeNull();
    expect(recogniseSerialPort({})).toBeNull();
  });

  it('marks HID POS scanners by usage page and known scanners typing as keyboards', () => {
    expect(recogniseHidDevice({ vendorId: 0x0c2e, usagePage: 0x8c, usage: 2 })?.label).toBe(
      'HID POS barcode scanner (Honeywell)',
    );
    expect(recogniseHidDevice({ vendorId: 0x1234, usagePage: 0x8c })?.label).toBe('HID POS barcode scanner');
    expect(recogniseHidDevice({ vendorId: 0x1eab, usagePage: 1, usage: 6 })?.label).toBe(
      'barcode scanner (Newland), keyboard-wedge mode',
    );
    expect(recogniseHidDevice({ vendorId: 0x05e0, usagePage: 1, usage: 2 })?.label).toBe(
      'barcode scanner (Symbol/Zebra)',
    );
    // An ordinary keyboard is not a scanner.
    expect(recogniseHidDevice({ vendorId: 0x046d, usagePage: 1, usage: 6 })).toBeNull();
  });

  it('marks a USB device with the SAM pipes as an ID-card reader, whatever its vendor', () => {
    expect(recogniseUsbDevice({ samInterface: 1 })).toEqual({
      kind: 'id-card-reader',
      label: 'ID-card reader, SAM on USB (interface 1; UsbTransport)',
    });
    expect(recogniseUsbDevice({})).toBeNull();
  });

  it('prints each section, says when it is empty or cannot be listed, and counts the marks', () => {
    const report: DevicesReport = {
      serialPorts: { available: true, items: [] },
      hidDevices: { available: false, code: 'NATIVE_MODULE_UNAVAILABLE', reason: 'node-hid is missing' },
      usbIdCardReaders: { available: true, items: [] },
    };
    expect(formatDevicesReport(report).split('\n')).toEqual([
      'serial ports (0)',
      '  no serial ports',
      'HID devices: cannot list (NATIVE_MODULE_UNAVAILABLE): node-hid is missing',
      'USB ID-card readers (0)',
      '  no ID-card reader on USB',
      'nothing the SDK recognises is connected',
    ]);
  });
});
