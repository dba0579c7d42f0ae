export * from './camera/index.js';
export * from './gate/index.js';
export * from './id-card/index.js';
export { loadNativeModule, type NativeModuleName } from './native.js';
export type { ReconnectPolicy } from './reconnect.js';
export * from './scanner/index.js';
export * from './transport/index.js';
