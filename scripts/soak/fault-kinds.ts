// The faults the soak injects: the platform's and the devices'. Each kind has a row in the report.

export const PLATFORM_FAULTS = [
  'platform-down',
  'platform-slow',
  'platform-malformed-json',
  'platform-bad-snapshot-signature',
  'platform-clock-skew',
  'platform-lost-response',
] as const;
export const DEVICE_FAULTS = [
  'unplug-gate',
  'unplug-reader',
  'unplug-scanner',
  'garbage-reader',
  'damaged-reader',
  'garbage-scanner',
  'garbage-gate',
  'daemon-sigkill',
] as const;
export type FaultKind = (typeof PLATFORM_FAULTS)[number] | (typeof DEVICE_FAULTS)[number];
export const FAULT_KINDS: readonly FaultKind[] = [...PLATFORM_FAULTS, ...DEVICE_FAULTS];
