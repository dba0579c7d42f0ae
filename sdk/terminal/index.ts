export type { CredentialSource } from './credential-source.js';
export type { CreditLookup, CreditResolver } from './credit-resolver.js';
export {
  createInMemoryCreditProvider,
  type InMemoryCreditProvider,
  type InMemoryCreditProviderOptions,
} from './in-memory-credit-provider.js';
export { createTerminal } from './terminal.js';
export type {
  OverrideInput,
  OverrideOutcome,
  OverrideRecord,
  PresentOptions,
  Terminal,
  TerminalAlarm,
  TerminalCloseOptions,
  TerminalDiagnostics,
  TerminalEventMap,
  TerminalOptions,
} from './terminal-contract.js';
