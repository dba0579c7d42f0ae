import type { Transport, TransportCloseReason } from '../../adapters/transport/transport.js';

/** What a virtual device does with its port's traffic and power. */
export interface DevicePortHandlers {
  onData(chunk: Buffer): void;
  onClose(reason: TransportCloseReason): void;
  /** The `forMs` of a power loss elapsed: the device announces it (a `'plug-in'` event) before powering up. */
  onPlugIn(): void;
}

/**
 * The device end of a link, shared by the virtual devices: like a device powered by its cable, it
 * opens the transport itself when it is closed, keeps serving it across the host's close and reopen,
 * and powers up again after a power loss. A transport it opened itself it also closes on `detach()`.
 */
export class DevicePort {
  readonly #handlers: DevicePortHandlers;
  #transport: Transport | undefined;
  #opening: Promise<boolean> | undefined;
  #openedByDevice = false;
  #plugInTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(handlers: DevicePortHandlers) {
    this.#handlers = handlers;
  }

  get transport(): Transport | undefined {
    return this.#transport;
  }

  /** Serves `transport` (detaching the previous one); resolves true once it is open, false if it cannot be. */
  async attach(transport: Transport): Promise<boolean> {
    if (this.#transport !== transport) {
      this.detach();
      this.#transport = transport;
      transport.on('data', this.#handlers.onData);
      transport.on('close', this.#handlers.onClose);
    }
    // An open begun before this attach (power back before the link was) may yet fail: sharing its
    // answer would leave the device dark on a link that is now there. Try again once it is over.
    if (this.#opening !== undefined) await this.#opening;
    return this.powerOn();
  }

  /** Stops serving the transport; closes it if the device opened it. Returns false when nothing was attached. */
  detach(): boolean {
    const transport = this.#transport;
    if (transport === undefined) return false;
    transport.off('data', this.#handlers.onData);
    transport.off('close', this.#handlers.onClose);
    this.#transport = undefined;
    this.#opening = undefined;
    clearTimeout(this.#plugInTimer);
    this.#plugInTimer = undefined;
    if (this.#openedByDevice) {
      this.#openedByDevice = false;
      transport.close().catch(() => {});
    }
    return true;
  }

  /** Opens the transport if it is closed. Never rejects: an unplugged device simply stays dark (false). */
  powerOn(): Promise<boolean> {
    const transport = this.#transport;
    if (transport === undefined) return Promise.resolve(false);
    if (transport.isOpen) return Promise.resolve(true);
    if (this.#opening !== undefined) return this.#opening;
    const opening = transport.open().then(
      () => {
        if (this.#transport === transport) this.#openedByDevice = true;
        return true;
      },
      // Unplugged (DEVICE_NOT_FOUND) or opened meanwhile by someone else: not an error for a device.
      () => transport.isOpen,
    );
    const settled = opening.finally(() => {
      if (this.#opening === settled) this.#opening = undefined;
    });
    this.#opening = settled;
    return settled;
  }

  /** After a power loss: `forMs` later, announce the plug-in and power up again. */
  plugInAfter(forMs: number): void {
    clearTimeout(this.#plugInTimer);
    this.#plugInTimer = setTimeout(() => {
      this.#plugInTimer = undefined;
      this.#handlers.onPlugIn();
      void this.powerOn();
    }, forMs);
  }
}
