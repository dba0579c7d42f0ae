export * from './in-process-gate.js';
export * from './virtual-aa-gate.js';
export * from './virtual-flap-gate.js';
export * from './virtual-gate-core.js';
export * from './virtual-modbus-relay.js';
