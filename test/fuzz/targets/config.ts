// Configuration read from files: the gate daemon's configuration, simulator scenarios.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseGateConfig } from '../../../cli/gate/config.js';
import { parseScenario } from '../../../simulator/scenario.js';
import { expectOneOf, type FuzzTarget, jsonish, mutatedJson, violation } from '../harness.js';

const exampleGateConfig = JSON.parse(
  readFileSync(new URL('../../../examples/scenic-gate/gate.json', import.meta.url), 'utf8'),
);
const gateConfigVariants: unknown[] = [
  exampleGateConfig,
  {
    ...exampleGateConfig,
    devices: {
      scanners: [{ type: 'hid', mode: 'keyboard-wedge', vendorId: 0x0c2e }],
      gate: {
        protocol: 'modbus-relay',
        link: { tcp: { host: '10.0.0.5', port: 502 } },
        unitId: 1,
        pulseMs: 300,
      },
    },
    clock: { startAt: '2026-10-03T09:00:00+08:00' },
  },
  {
    terminalId: 't',
    pseudonymKey: { env: 'KEY' },
    dataDir: '/d',
    devices: { gate: { protocol: 'flap-7e', link: { serial: { path: '/dev/ttyS0' } }, machine: 1 } },
  },
];

export const gateConfig: FuzzTarget<unknown, unknown> = {
  name: 'gate-config',
  input: 'gate daemon configuration JSON: example configurations mutated, any JSON',
  arbitrary: fc.oneof(
    { weight: 5, arbitrary: mutatedJson(fc.constantFrom(...gateConfigVariants)) },
    { weight: 1, arbitrary: jsonish },
  ),
  codes: ['CONFIG_INVALID'],
  run: (value) => parseGateConfig(value, 'gate.json'),
  check: (config) => {
    const c = config as { terminalId: unknown; devices: { gate: { protocol: unknown } }; dataDir: unknown };
    if (typeof c.terminalId !== 'string' || typeof c.dataDir !== 'string')
      violation('required fields missing');
    expectOneOf(c.devices.gate.protocol, ['aa-frame', 'flap-7e', 'modbus-relay'], 'gate protocol');
  },
  ciRuns: 1500,
};

const exampleScenario = JSON.parse(
  readFileSync(new URL('../../../examples/scenarios/every-fault.json', import.meta.url), 'utf8'),
);
const shortScenario = { name: 's', events: (exampleScenario as { events: unknown[] }).events.slice(0, 6) };

export const scenario: FuzzTarget<unknown, unknown> = {
  name: 'scenario',
  input: 'simulator scenario JSON: the example scenarios mutated, any JSON',
  arbitrary: fc.oneof(
    { weight: 1, arbitrary: mutatedJson(fc.constant(exampleScenario)) },
    { weight: 4, arbitrary: mutatedJson(fc.constant(shortScenario)) },
    { weight: 1, arbitrary: jsonish },
  ),
  codes: ['CONFIG_INVALID'],
  run: (value) => parseScenario(value, 'scenario.json'),
  check: (output) => {
    const s = output as { name: unknown; events: Array<{ kind: unknown }> };
    if (typeof s.name !== 'string') violation('scenario without a name');
    for (const event of s.events) {
      expectOneOf(
        event.kind,
        ['tap', 'code', 'fault', 'unplug', 'revoke', 'clock', 'behaviour', 'wait', 'ready', 'note'],
        'event kind',
      );
    }
  },
  ciRuns: 1500,
};
