// The fuzz targets, one file per area under targets/: every decoder and parser that takes outside input.
// test/fuzz/fuzz.test.ts runs each briefly in CI, `npm run fuzz` (scripts/fuzz.ts) for long.
import type { FuzzTarget } from './harness.js';
import { gateConfig, scenario } from './targets/config.js';
import { creditCode, statusList, trustList } from './targets/credit-codes.js';
import { aaFrame, flapCommand, flapReply, modbusRequest, modbusResponse } from './targets/gate-codecs.js';
import { cardText, samCommands, samResponses } from './targets/id-card.js';
import { organisationCredential } from './targets/organisations.js';
import { platformResponse, signedAnswer } from './targets/platform.js';
import {
  calendarDocumentTarget,
  policyDocumentTarget,
  policyPackTarget,
} from './targets/policy-documents.js';
import { hidPos, keyboardWedge, serialScanner } from './targets/scanners.js';
import { snapshotFormat, snapshotStore } from './targets/snapshots.js';

/** Every fuzz target, in the order `npm run fuzz` runs them. */
export const FUZZ_TARGETS: readonly FuzzTarget<never, never>[] = [
  samResponses,
  samCommands,
  cardText,
  keyboardWedge,
  hidPos,
  serialScanner,
  creditCode,
  aaFrame,
  flapReply,
  flapCommand,
  modbusRequest,
  modbusResponse,
  platformResponse,
  signedAnswer,
  trustList,
  statusList,
  snapshotFormat,
  snapshotStore,
  policyPackTarget,
  calendarDocumentTarget,
  policyDocumentTarget,
  gateConfig,
  organisationCredential,
  scenario,
] as unknown as FuzzTarget<never, never>[];

export function findTarget(name: string): FuzzTarget<never, never> | undefined {
  return FUZZ_TARGETS.find((t) => t.name === name);
}
