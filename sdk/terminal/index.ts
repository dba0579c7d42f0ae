export type { CredentialSource } from './credential-source.js';
export type { CreditLookup, CreditResolver } from './credit-resolver.js';
export {
  createInMemoryCreditProvider,
  type InMemoryCreditProvider,
  type InMemoryCreditProviderOptions,
} from './in-memory-credit-provider.js';
export {
  createTerminal,
  type OverrideInput,
  type OverrideOutcome,
  type OverrideRecord,
  type PresentOptions,
  type Terminal,
  type TerminalAlarm,
  type TerminalCloseOptions,
  type TerminalDiagnostics,
  type TerminalEventMap,
  type TerminalOptions,
} from './terminal.js';
