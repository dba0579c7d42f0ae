// What any ID-card reader link, simulated or real, must do without anyone tapping a card: open,
// answer the SAM status and ID, poll quietly with no card, close and reopen. Run over memory, TCP,
// a socat PTY and USB (the `usb` stand-in) against the virtual reader, and against real hardware
// when XINYI_IDCARD_PORT or XINYI_IDCARD_USB names a reader.
import { afterEach, describe, expect, it } from 'vitest';
import type { IdCardReader } from '../../../adapters/id-card/index.js';

export interface ReaderContractRig {
  reader: IdCardReader;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function describeReaderContract(name: string, make: () => Promise<ReaderContractRig>): void {
  describe(`ID-card reader contract: ${name}`, () => {
    let current: ReaderContractRig | undefined;
    afterEach(async () => {
      await current?.close();
      current = undefined;
    });

    it('opens, reports a healthy SAM with a well-formed SAM ID, and polls quietly with no card', async () => {
      current = await make();
      const events: string[] = [];
      current.reader.on('card', () => events.push('card'));
      current.reader.on('warning', (e) => events.push(e.code));
      await current.reader.open();
      expect(current.reader.state).toBe('ready');
      const health = await current.reader.checkHealth();
      expect(health.samOk).toBe(true);
      expect(health.samId).toMatch(/^\d{2}\.\d{2}-\d+-\d+-\d+$/);
      await sleep(300);
      expect(events).toEqual([]);
      expect(current.reader.state).toBe('ready');
    });

    it('closes cleanly and can be opened again', async () => {
      current = await make();
      await current.reader.open();
      await current.reader.close();
      expect(current.reader.state).toBe('closed');
      await current.reader.open();
      expect((await current.reader.checkHealth()).samOk).toBe(true);
    });
  });
}
