export * from './aa-frame.js';
export * from './aa-gate.js';
export * from './flap-7e.js';
export * from './flap-gate.js';
export { GateDriverBase, type GateDriverOptions } from './gate-driver.js';
export * from './modbus-relay-gate.js';
export * from './modbus-rtu.js';
