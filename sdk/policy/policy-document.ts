import type { DocumentHeader, DocumentKind } from '../documents/signed-document.js';
import { isXinyiError, XinyiError } from '../errors.js';
import type { PolicyPack } from './pack.js';
import { loadPolicyPack } from './validate-pack.js';

/**
 * The signed policy-pack document (docs/policy-packs.md, "Policy-pack documents"): a pack, and the
 * instant from which it applies, signed by a key the trust list names for the usage `policy-pack`.
 * A city stages a change by signing it ahead with a later `effectiveFrom`.
 */

export const POLICY_DOCUMENT_FORMAT = 'xinyi-policy-document/1';

/** Largest policy-pack document accepted (the Qingzhou pack is about 15 KB). */
export const POLICY_DOCUMENT_MAX_BYTES = 1024 * 1024;

export interface PolicyDocumentContent extends DocumentHeader {
  format: typeof POLICY_DOCUMENT_FORMAT;
  /** ISO time (with offset) from which the pack applies. @default issuedAt */
  effectiveFrom?: string;
  pack: PolicyPack;
}

/** A verified policy-pack document's pack, validated by `loadPolicyPack`. */
export interface PolicyDocument {
  pack: PolicyPack;
  /** Epoch ms. */
  effectiveFrom: number;
}

/**
 * Checks a policy-pack document's content: `effectiveFrom` an ISO time with an offset, and the pack
 * valid for `loadPolicyPack`. Throws `POLICY_PACK_INVALID` naming the path (`pack.rules[3].benefit.payBp`).
 */
export function parsePolicyDocument(content: Record<string, unknown>): PolicyDocument {
  const { effectiveFrom } = content;
  let effectiveMs = Date.parse(String(content.issuedAt));
  if (effectiveFrom !== undefined) {
    effectiveMs =
      typeof effectiveFrom === 'string' && /(Z|[+-]\d{2}:\d{2})$/.test(effectiveFrom)
        ? Date.parse(effectiveFrom)
        : Number.NaN;
    if (!Number.isFinite(effectiveMs)) {
      throw new XinyiError(
        'POLICY_PACK_INVALID',
        'policy pack document: effectiveFrom: must be an ISO time with an offset (2027-01-01T00:00:00+08:00)',
        { details: { path: 'effectiveFrom' } },
      );
    }
  }
  let pack: PolicyPack;
  try {
    pack = loadPolicyPack(content.pack);
  } catch (error) {
    if (!isXinyiError(error, 'POLICY_PACK_INVALID')) throw error;
    const inner = typeof error.details.path === 'string' ? error.details.path : '(pack)';
    const path = inner === '(pack)' ? 'pack' : inner.startsWith('[') ? `pack${inner}` : `pack.${inner}`;
    throw new XinyiError(
      'POLICY_PACK_INVALID',
      `policy pack document: ${error.message.replace(/^policy pack: [^:]*:/, `${path}:`)}`,
      { cause: error, details: { path } },
    );
  }
  return Object.freeze({ pack, effectiveFrom: effectiveMs });
}

/** The `policy-pack` document kind, for `verifyDocument` and `createDocumentSlot`. */
export const policyDocumentKind: DocumentKind<PolicyDocument> = Object.freeze({
  usage: 'policy-pack',
  format: POLICY_DOCUMENT_FORMAT,
  maxBytes: POLICY_DOCUMENT_MAX_BYTES,
  parse: parsePolicyDocument,
});
