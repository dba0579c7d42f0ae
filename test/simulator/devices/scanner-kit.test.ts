// The fault queue both virtual scanners use (simulator/devices/scanner-kit.ts): scope, one fault of a
// kind per scan, withdrawal, and the checks every `injectFault` makes before its own.
import { describe, expect, it } from 'vitest';
import { XinyiError } from '../../../sdk/errors.js';
import { FaultQueue, type ScannerFaultScope } from '../../../simulator/devices/scanner-kit.js';

type Fault = ({ kind: 'split'; chunkBytes?: number } | { kind: 'garbage'; label?: string }) &
  ScannerFaultScope;

function queue() {
  const checked: string[] = [];
  const faults = new FaultQueue<Fault>(['split', 'garbage'], (fault) => {
    checked.push(fault.kind);
    if (fault.kind === 'split' && fault.chunkBytes === 0) {
      throw new XinyiError('INVALID_ARGUMENT', 'fault.chunkBytes must be a positive integer');
    }
  });
  return { faults, checked };
}

describe('FaultQueue', () => {
  it('applies a fault to `times` scans, then drops it; a persistent one stays until withdrawn', () => {
    const { faults } = queue();
    faults.inject({ kind: 'split', chunkBytes: 2, times: 2 });
    const withdraw = faults.inject({ kind: 'garbage', persistent: true, times: 1 });
    expect(faults.take().map((f) => f.kind)).toEqual(['split', 'garbage']);
    expect(faults.take().map((f) => f.kind)).toEqual(['split', 'garbage']);
    expect(faults.take().map((f) => f.kind)).toEqual(['garbage']);
    withdraw();
    expect(faults.take()).toEqual([]);
  });

  it('gives a scan only the first queued fault of each kind; the next waits its turn', () => {
    const { faults } = queue();
    faults.inject({ kind: 'garbage', label: 'first' });
    faults.inject({ kind: 'garbage', label: 'second' });
    expect(faults.next()).toEqual([{ kind: 'garbage', label: 'first' }]);
    // next() only looks: the same fault is still first.
    expect(faults.take()).toEqual([{ kind: 'garbage', label: 'first' }]);
    expect(faults.take()).toEqual([{ kind: 'garbage', label: 'second' }]);
    expect(faults.take()).toEqual([]);
  });

  it('queues a copy: changing the caller’s object afterwards changes nothing; clear() withdraws all', () => {
    const { faults } = queue();
    const fault: Fault = { kind: 'split', chunkBytes: 3 };
    faults.inject(fault);
    fault.chunkBytes = 99;
    expect(faults.next()).toEqual([{ kind: 'split', chunkBytes: 3 }]);
    faults.inject({ kind: 'garbage' });
    faults.clear();
    expect(faults.take()).toEqual([]);
  });

  it('checks kind, then scope, then the kind’s own fields, queuing nothing that fails', () => {
    const { faults, checked } = queue();
    expect(() => faults.inject({ kind: 'unplug' } as unknown as Fault)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: 'fault.kind must be one of split, garbage',
      }),
    );
    expect(() => faults.inject(null as unknown as Fault)).toThrow(/fault.kind/);
    expect(() => faults.inject({ kind: 'split', times: 0 })).toThrow(/fault.times/);
    expect(() => faults.inject({ kind: 'split', persistent: 'yes' as unknown as boolean })).toThrow(
      /fault.persistent/,
    );
    expect(checked).toEqual([]);
    expect(() => faults.inject({ kind: 'split', chunkBytes: 0 })).toThrow(/chunkBytes/);
    expect(checked).toEqual(['split']);
    expect(faults.take()).toEqual([]);
  });
});
