// IdCardReader over the SAM module's USB pipes (docs/id-card-readers.md): UsbTransport against a
// stand-in of the `usb` package whose device is the byte-exact virtual reader, the OUT pipes fed to
// it byte for byte and its responses split onto the IN pipes. The same reader contract runs here over
// memory, TCP and USB (and over a PTY in reader-pty.test.ts); against a real USB reader when
// XINYI_IDCARD_USB names it (`vvvv:pppp` or `vvvv:pppp:serial`, hex ids from `xinyi devices`).
import { afterEach, describe, expect, it } from 'vitest';
import {
  type IdCardReadEvent,
  IdCardReader,
  type IdCardReaderOptions,
} from '../../../adapters/id-card/index.js';
import { encodeSamCommand } from '../../../adapters/id-card/sam-frame.js';
import { SamCommand } from '../../../adapters/id-card/sam-status.js';
import {
  createMemoryLink,
  SAM_USB_PIPES,
  TcpTransport,
  type Transport,
  UsbTransport,
} from '../../../adapters/transport/index.js';
import type { XinyiError } from '../../../sdk/errors.js';
import { VirtualIdCardReader, VirtualUsbSamBus } from '../../../simulator/devices/index.js';
import { generatePopulation } from '../../../simulator/population.js';
import { startTcpDeviceServer } from '../../../simulator/tcp-device-server.js';
import { until } from '../../support/until.js';
import { toHex } from './helpers.js';
import { describeReaderContract, type ReaderContractRig } from './reader-contract.js';

const [alice, bob] = generatePopulation(2, 'reader-usb') as [
  ReturnType<typeof generatePopulation>[0],
  ReturnType<typeof generatePopulation>[0],
];

const READER_OPTIONS: Partial<IdCardReaderOptions> = {
  pollIntervalMs: 20,
  lateReplyGraceMs: 20,
  reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
  timeoutsMs: { find: 200, select: 200, read: 400, sam: 200 },
};

function virtualReader(): VirtualIdCardReader {
  return new VirtualIdCardReader({ processingDelayMs: { find: 1, select: 1, read: 5, status: 1, samId: 1 } });
}

interface UsbRig extends ReaderContractRig {
  device: VirtualIdCardReader;
  bus: VirtualUsbSamBus;
  transport: UsbTransport;
}

async function usbRig(options: Partial<IdCardReaderOptions> = {}): Promise<UsbRig> {
  const device = virtualReader();
  const bus = new VirtualUsbSamBus(device, { others: [{ vendorId: 0x046d, productId: 0xc31c }] });
  const transport = new UsbTransport({
    vendorId: 0x0400,
    productId: 0xc35a,
    usb: bus.module,
    readTimeoutMs: 50,
  });
  const reader = new IdCardReader({ transport, ...READER_OPTIONS, ...options });
  return {
    device,
    bus,
    transport,
    reader,
    close: async () => {
      await reader.close();
      bus.dispose();
    },
  };
}

describeReaderContract('virtual reader over an in-memory link', async () => {
  const link = createMemoryLink({ baudRate: 115_200 });
  const device = virtualReader();
  await device.attach(link.device);
  const reader = new IdCardReader({ transport: link.host, ...READER_OPTIONS });
  return {
    reader,
    close: async () => {
      await reader.close();
      device.detach();
    },
  };
});

describeReaderContract('virtual reader behind a TCP device server', async () => {
  const device = virtualReader();
  const server = await startTcpDeviceServer({ onConnection: (t: Transport) => void device.attach(t) });
  const reader = new IdCardReader({
    transport: new TcpTransport({ host: '127.0.0.1', port: server.port }),
    ...READER_OPTIONS,
  });
  return {
    reader,
    close: async () => {
      await reader.close();
      device.detach();
      await server.close();
    },
  };
});

describeReaderContract('virtual reader on the USB pipes (usb stand-in)', usbRig);

describe('IdCardReader over UsbTransport', () => {
  let rig: UsbRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('a tap is read through the pipes: headers on 0x02/0x81, the rest on 0x06/0x85, byte for byte', async () => {
    rig = await usbRig();
    const cards: IdCardReadEvent[] = [];
    rig.reader.on('card', (e) => cards.push(e));
    await rig.reader.open();
    rig.device.placeCard(alice);
    await until(() => cards.length === 1, 'the card');
    expect(cards[0]!.credential.idNumber).toBe(alice.idNumber);
    expect(cards[0]!.photo).toHaveLength(1024);
    const { pipes } = rig.bus;
    // Find card (0x20 0x01) went out as its 7-byte header and its 3-byte rest.
    const find = encodeSamCommand(SamCommand.findCard.cmd, SamCommand.findCard.para);
    expect(pipes.headerOut.map(toHex)).toContain(toHex(find.subarray(0, 7)));
    expect(pipes.bodyOut.map(toHex)).toContain(toHex(find.subarray(7)));
    expect(pipes.headerOut.every((h) => h.length === 7)).toBe(true);
    expect(pipes.headerOut).toHaveLength(pipes.bodyOut.length);
    // The 1295-byte read response: a 7-byte header `AA AA AA 96 69 05 08`, then 1288 bytes.
    expect(pipes.headerIn.map(toHex)).toContain('AA AA AA 96 69 05 08');
    const bodyBytes = pipes.bodyIn.reduce((n, b) => n + b.length, 0);
    const headerBytes = pipes.headerIn.reduce((n, b) => n + b.length, 0);
    expect(headerBytes).toBe(pipes.headerIn.length * 7);
    expect(bodyBytes + headerBytes).toBe(rig.device.stats.bytesSent);
  });

  it('the reader unplugged: a typed disconnect, reconnection when it is back, the next tap reads', async () => {
    rig = await usbRig();
    const disconnects: XinyiError[] = [];
    const cards: IdCardReadEvent[] = [];
    rig.reader.on('disconnect', (e) => disconnects.push(e));
    rig.reader.on('card', (e) => cards.push(e));
    await rig.reader.open();
    rig.device.injectFault({ kind: 'unplug', forMs: 150, on: 'find' });
    await until(() => rig!.reader.state === 'reconnecting', 'reconnecting');
    expect(disconnects[0]!.code).toBe('DEVICE_DISCONNECTED');
    await until(() => rig!.reader.state === 'ready', 'ready again', 6000);
    rig.device.placeCard(bob);
    await until(() => cards.length === 1, 'the card after reconnecting');
    expect(cards[0]!.credential.idNumber).toBe(bob.idNumber);
  });

  it('survives garbage and a bad checksum from the reader, as over a serial line', async () => {
    rig = await usbRig();
    const cards: IdCardReadEvent[] = [];
    rig.reader.on('card', (e) => cards.push(e));
    await rig.reader.open();
    rig.device.injectFault({ kind: 'garbage', on: 'read' });
    rig.device.injectFault({ kind: 'bad-checksum', on: 'select' });
    rig.device.placeCard(alice);
    await until(() => cards.length === 1, 'the card');
    expect(cards[0]!.credential.idNumber).toBe(alice.idNumber);
  });

  it('no device with those ids: DEVICE_NOT_FOUND; a device that refuses to open: DEVICE_PERMISSION_DENIED EACCES', async () => {
    const device = virtualReader();
    const bus = new VirtualUsbSamBus(device, { others: [{ vendorId: 0x046d, productId: 0xc31c }] });
    const missing = new UsbTransport({ vendorId: 0x1234, productId: 0x5678, usb: bus.module });
    await expect(missing.open()).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    const other = new UsbTransport({ vendorId: 0x046d, productId: 0xc31c, usb: bus.module });
    await expect(other.open()).rejects.toMatchObject({
      code: 'DEVICE_PERMISSION_DENIED',
      details: { path: 'usb:046d:c31c', reason: 'EACCES' },
      message: expect.stringContaining('docs/id-card-readers.md'),
    });
    const wrongSerial = new UsbTransport({
      vendorId: 0x0400,
      productId: 0xc35a,
      serialNumber: 'X',
      usb: bus.module,
    });
    await expect(wrongSerial.open()).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    bus.dispose();
  });

  it('splits command frames however they are written, and drops bytes before a preamble', async () => {
    const device = virtualReader();
    const bus = new VirtualUsbSamBus(device);
    const transport = new UsbTransport({
      vendorId: 0x0400,
      productId: 0xc35a,
      usb: bus.module,
      readTimeoutMs: 50,
    });
    const replies: Buffer[] = [];
    transport.on('data', (chunk) => replies.push(chunk));
    await transport.open();
    const status = encodeSamCommand(SamCommand.samStatus.cmd, SamCommand.samStatus.para);
    await transport.write(Buffer.concat([Buffer.from([0x00, 0x13]), status.subarray(0, 4)]));
    await transport.write(status.subarray(4));
    await until(() => replies.length > 0, 'the SAM status reply');
    expect(toHex(Buffer.concat(replies))).toBe('AA AA AA 96 69 00 04 00 00 90 94');
    expect(bus.pipes.headerOut.map(toHex)).toEqual([toHex(status.subarray(0, 7))]);
    await transport.close();
    bus.dispose();
  });

  it('rejects bad options with INVALID_OPTIONS naming them', () => {
    for (const [options, option] of [
      [{ vendorId: -1, productId: 1 }, 'vendorId'],
      [{ vendorId: 1, productId: 0x10000 }, 'productId'],
      [{ vendorId: 1, productId: 1, pipes: { headerIn: 0x02 } }, 'pipes.headerIn'],
      [{ vendorId: 1, productId: 1, pipes: { bodyOut: 0x85 } }, 'pipes.bodyOut'],
      [{ vendorId: 1, productId: 1, readTimeoutMs: 0 }, 'readTimeoutMs'],
    ] as const) {
      expect(() => new UsbTransport(options as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS', details: { option } }),
      );
    }
    expect(SAM_USB_PIPES).toEqual({ headerOut: 0x02, bodyOut: 0x06, headerIn: 0x81, bodyIn: 0x85 });
  });
});

const realUsb = process.env.XINYI_IDCARD_USB;
const realIds = realUsb?.split(':');
describe.skipIf(!realUsb)(
  `ID-card reader contract: real USB reader${realUsb ? ` ${realUsb}` : ' (skipped: set XINYI_IDCARD_USB=vvvv:pppp[:serial])'}`,
  () => {
    if (!realIds) return;
    describeReaderContract(`USB ${realUsb}`, async () => {
      const reader = new IdCardReader({
        transport: new UsbTransport({
          vendorId: Number.parseInt(realIds[0]!, 16),
          productId: Number.parseInt(realIds[1]!, 16),
          ...(realIds[2] ? { serialNumber: realIds[2] } : {}),
        }),
      });
      return { reader, close: () => reader.close() };
    });
  },
);
