import { parseArgs } from 'node:util';
import { loadNativeModule } from '../adapters/native.js';
import { HID_POS_USAGE_PAGE } from '../adapters/scanner/hid-pos.js';
import type { HidDeviceInfo, NodeHidModule } from '../adapters/scanner/hid-scanner.js';
import { listSerialPorts, type SerialPortInfo } from '../adapters/transport/serial-transport.js';
import { listUsbDevices, type UsbDeviceInfo } from '../adapters/transport/usb-transport.js';
import { isXinyiError } from '../sdk/errors.js';
import { DEVICES_USAGE } from './help-text.js';

export type RecognisedKind = 'serial-bridge' | 'scanner' | 'id-card-reader';

export interface Recognition {
  kind: RecognisedKind;
  /** What it is, for people: `serial bridge (ID reader, scanner or gate board): CH340`. */
  label: string;
}

export interface ListedSerialPort extends SerialPortInfo {
  recognised: Recognition | null;
}

export interface ListedHidDevice {
  path?: string;
  /** Hex, four digits, without `0x` (as serial ports report theirs). */
  vendorId: string;
  productId: string;
  product?: string;
  manufacturer?: string;
  usagePage?: number;
  usage?: number;
  interface?: number;
  recognised: Recognition | null;
}

/** One section of the listing: what was found, or why nothing could be listed. */
export type Listing<T> = { available: true; items: T[] } | { available: false; code: string; reason: string };

/** A USB ID-card reader: a device with the SAM module's pipes (`samInterface`). */
export interface ListedUsbReader extends UsbDeviceInfo {
  recognised: Recognition;
}

export interface DevicesReport {
  serialPorts: Listing<ListedSerialPort>;
  hidDevices: Listing<ListedHidDevice>;
  /** USB devices that carry the SAM pipes (others are not listed: every hub and keyboard is a USB device). */
  usbIdCardReaders: Listing<ListedUsbReader>;
}

const BRIDGE_LABEL = 'serial bridge (ID reader, scanner or gate board)';

// USB-serial bridge chips (VID:PID, lower-case hex). ID-card reader modules speak SAM over UART and are
// sold behind one of these (docs/protocols.md §1.2); so are serial scanners and gate boards.
const SERIAL_BRIDGES: Record<string, string> = {
  '1a86:7523': 'CH340',
  '1a86:5523': 'CH341',
  '10c4:ea60': 'CP210x',
  '0403:6001': 'FTDI FT232R',
  '067b:2303': 'Prolific PL2303',
};

// Barcode-scanner vendors by USB vendor id (docs/protocols.md §2.2).
const SCANNER_VENDORS: Record<string, string> = {
  '0c2e': 'Honeywell',
  '1eab': 'Newland',
  '05e0': 'Symbol/Zebra',
  '05f9': 'Datalogic',
  '23d0': 'Youjie',
};

// A HID boot keyboard (generic desktop page, keyboard usage): how a keyboard-wedge scanner shows up.
const GENERIC_DESKTOP_PAGE = 0x01;
const KEYBOARD_USAGE = 0x06;

function hex4(value: string | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number.parseInt(value, 16);
  return Number.isInteger(n) && n >= 0 && n <= 0xffff ? n.toString(16).padStart(4, '0') : undefined;
}

/** What the SDK makes of a serial port, from its USB vendor and product ids. */
export function recogniseSerialPort(
  port: Pick<SerialPortInfo, 'vendorId' | 'productId'>,
): Recognition | null {
  const vendor = hex4(port.vendorId);
  const product = hex4(port.productId);
  if (vendor === undefined) return null;
  const bridge = product === undefined ? undefined : SERIAL_BRIDGES[`${vendor}:${product}`];
  if (bridge !== undefined) return { kind: 'serial-bridge', label: `${BRIDGE_LABEL}: ${bridge}` };
  const scanner = SCANNER_VENDORS[vendor];
  // A scanner set to USB CDC-ACM ("USB COM port") mode is a serial port with the scanner's own ids.
  if (scanner !== undefined) return { kind: 'scanner', label: `barcode scanner (${scanner}), serial mode` };
  return null;
}

/** What the SDK makes of a HID device: a scanner in HID POS mode, or a known scanner typing as a keyboard. */
export function recogniseHidDevice(
  device: Pick<HidDeviceInfo, 'vendorId' | 'usagePage' | 'usage'>,
): Recognition | null {
  const vendor = hex4(device.vendorId);
  const scanner = vendor === undefined ? undefined : SCANNER_VENDORS[vendor];
  if (device.usagePage === HID_POS_USAGE_PAGE) {
    return { kind: 'scanner', label: `HID POS barcode scanner${scanner ? ` (${scanner})` : ''}` };
  }
  if (scanner === undefined) return null;
  const keyboard = device.usagePage === GENERIC_DESKTOP_PAGE && device.usage === KEYBOARD_USAGE;
  return {
    kind: 'scanner',
    label: `barcode scanner (${scanner})${keyboard ? ', keyboard-wedge mode' : ''}`,
  };
}

/**
 * What the SDK makes of a USB device: an ID-card reader when one of its interfaces has the SAM
 * module's four bulk pipes (docs/id-card-readers.md, "USB readers"), whatever its vendor.
 */
export function recogniseUsbDevice(device: Pick<UsbDeviceInfo, 'samInterface'>): Recognition | null {
  if (device.samInterface === undefined) return null;
  return {
    kind: 'id-card-reader',
    label: `ID-card reader, SAM on USB (interface ${device.samInterface}; UsbTransport)`,
  };
}

function unavailable(error: unknown): { available: false; code: string; reason: string } {
  if (isXinyiError(error)) return { available: false, code: error.code, reason: error.message };
  throw error;
}

async function listSerial(): Promise<Listing<ListedSerialPort>> {
  try {
    const ports = await listSerialPorts();
    return {
      available: true,
      items: ports
        .map((port) => ({ ...port, recognised: recogniseSerialPort(port) }))
        .sort((a, b) => a.path.localeCompare(b.path)),
    };
  } catch (error) {
    return unavailable(error);
  }
}

type HidRecord = HidDeviceInfo & { manufacturer?: string };

async function listHid(): Promise<Listing<ListedHidDevice>> {
  let records: HidRecord[];
  try {
    const mod = await loadNativeModule<Partial<NodeHidModule> & { default?: Partial<NodeHidModule> }>(
      'node-hid',
    );
    const devices = mod.devices ?? mod.default?.devices;
    if (typeof devices !== 'function') {
      return {
        available: false,
        code: 'NATIVE_MODULE_UNAVAILABLE',
        reason: 'the installed node-hid has no devices() function',
      };
    }
    try {
      records = devices() as HidRecord[];
    } catch {
      // node-hid loads, but its binding needs libusb/hidraw at the first call.
      return {
        available: false,
        code: 'NATIVE_MODULE_UNAVAILABLE',
        reason: 'node-hid cannot list devices: install libusb (apt-get install libusb-1.0-0)',
      };
    }
  } catch (error) {
    return unavailable(error);
  }
  const items: ListedHidDevice[] = records.map((d) => {
    const item: ListedHidDevice = {
      vendorId: hex4(d.vendorId) ?? String(d.vendorId),
      productId: hex4(d.productId) ?? String(d.productId),
      recognised: recogniseHidDevice(d),
    };
    if (d.path) item.path = d.path;
    if (d.product) item.product = d.product;
    if (d.manufacturer) item.manufacturer = d.manufacturer;
    if (d.usagePage !== undefined) item.usagePage = d.usagePage;
    if (d.usage !== undefined) item.usage = d.usage;
    if (d.interface !== undefined) item.interface = d.interface;
    return item;
  });
  return { available: true, items };
}

async function listUsbReaders(): Promise<Listing<ListedUsbReader>> {
  try {
    const devices = await listUsbDevices();
    return {
      available: true,
      items: devices.flatMap((d) => {
        const recognised = recogniseUsbDevice(d);
        return recognised === null ? [] : [{ ...d, recognised }];
      }),
    };
  } catch (error) {
    return unavailable(error);
  }
}

/** Every listing; never rejects for a missing native module (the section says so instead). */
export async function listDevices(): Promise<DevicesReport> {
  const [serialPorts, hidDevices, usbIdCardReaders] = await Promise.all([
    listSerial(),
    listHid(),
    listUsbReaders(),
  ]);
  return { serialPorts, hidDevices, usbIdCardReaders };
}

function ids(vendorId: string | undefined, productId: string | undefined): string {
  const v = hex4(vendorId);
  return v === undefined ? '—' : `${v}:${hex4(productId) ?? '????'}`;
}

/** The report as the table `xinyi devices` prints. */
export function formatDevicesReport(report: DevicesReport): string {
  const lines: string[] = [];
  const section = <T>(
    title: string,
    empty: string,
    listing: Listing<T>,
    row: (item: T) => [string, string, string, Recognition | null],
  ) => {
    if (!listing.available) {
      lines.push(`${title}: cannot list (${listing.code}): ${listing.reason}`);
      return;
    }
    lines.push(`${title} (${listing.items.length})`);
    if (listing.items.length === 0) lines.push(`  ${empty}`);
    const rows = listing.items.map(row);
    const w0 = Math.max(0, ...rows.map((r) => r[0].length));
    const w2 = Math.max(0, ...rows.map((r) => r[2].length));
    for (const [path, id, name, recognised] of rows) {
      const mark = recognised ? `  ✓ ${recognised.label}` : '';
      lines.push(`  ${path.padEnd(w0)}  ${id.padEnd(9)}  ${name.padEnd(w2)}${mark}`.trimEnd());
    }
  };
  section('serial ports', 'no serial ports', report.serialPorts, (p) => [
    p.path,
    ids(p.vendorId, p.productId),
    p.manufacturer ?? '',
    p.recognised,
  ]);
  section('HID devices', 'no HID devices', report.hidDevices, (d) => [
    d.path ?? '(no path)',
    ids(d.vendorId, d.productId),
    [d.manufacturer, d.product].filter(Boolean).join(' '),
    d.recognised,
  ]);
  const usb = report.usbIdCardReaders;
  section('USB ID-card readers', 'no ID-card reader on USB', usb, (d) => [
    `usb:${d.vendorId}:${d.productId}`,
    ids(d.vendorId, d.productId),
    [d.manufacturer, d.product].filter(Boolean).join(' '),
    d.recognised,
  ]);
  const recognised = [
    ...(report.serialPorts.available ? report.serialPorts.items : []),
    ...(report.hidDevices.available ? report.hidDevices.items : []),
    ...(usb.available ? usb.items : []),
  ].filter((d) => d.recognised !== null).length;
  lines.push(
    recognised === 0
      ? 'nothing the SDK recognises is connected'
      : `${recognised} device${recognised === 1 ? '' : 's'} the SDK recognises (✓)`,
  );
  return lines.join('\n');
}

/** `xinyi devices`: exit code 0 whatever is (or is not) connected or installed. */
export async function devicesCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log(`Usage:\n${DEVICES_USAGE}`);
    return;
  }
  const report = await listDevices();
  console.log(values.json ? JSON.stringify(report, null, 2) : formatDevicesReport(report));
}
