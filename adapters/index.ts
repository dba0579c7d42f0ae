export * from './id-card/index.js';
export { loadNativeModule, type NativeModuleName } from './native.js';
export * from './transport/index.js';
