// The PTY rig itself: a device unplugged and plugged straight back in is reachable on the same path.
import { EventEmitter, once } from 'node:events';
import { afterEach, it } from 'vitest';
import { SerialTransport } from '../../adapters/transport/serial-transport.js';
import { attachOverPty, describeOverPty, type PtyDeviceLink, ptyRigMissing } from './pty-rig.js';
import { until } from './until.js';

/** The least a device does: opens its end when attached and keeps what arrives. */
class ListeningDevice extends EventEmitter<{ unplug: []; 'plug-in': [] }> {
  received = '';
  /** How many times its end has been opened: once per plug-in. */
  opened = 0;
  async attach(transport: SerialTransport): Promise<void> {
    if (transport.listenerCount('data') === 0) {
      transport.on('data', (chunk: Buffer) => {
        this.received += chunk.toString('latin1');
      });
    }
    if (!transport.isOpen) await transport.open();
    this.opened++;
  }
}

describeOverPty('attachOverPty', await ptyRigMissing(), () => {
  let link: PtyDeviceLink | undefined;
  let host: SerialTransport | undefined;
  afterEach(async () => {
    await host?.close();
    await link?.close();
    host = undefined;
    link = undefined;
  }, 10_000);

  it('power back before the old pair is gone: the device is reachable on the same path again', async () => {
    const device = new ListeningDevice();
    link = await attachOverPty(device);
    const first = new SerialTransport({ path: link.hostPath });
    host = first;
    await first.open();
    const hungUp = once(first, 'close');
    // Before, the new pair's links were removed by the old socat's exit and clean-up.
    device.emit('unplug');
    device.emit('plug-in');
    await hungUp;
    const reopened = new SerialTransport({ path: link.hostPath });
    host = reopened;
    await until(
      () =>
        reopened.open().then(
          () => true,
          () => false,
        ),
      'the host end to open again',
    );
    // Bytes written before the device's end is open again are the line's, not the device's (opening a
    // serial port discards its input queue: tcflush(TCIOFLUSH) in @serialport/bindings-cpp's
    // serialport_unix.cpp): write once the device is back.
    await until(() => device.opened === 2, 'the device end to open again');
    await reopened.write(Buffer.from('ping'));
    await until(() => device.received === 'ping', 'the bytes at the device');
  });
});
