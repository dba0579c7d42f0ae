/**
 * What a QZ1 credit code says beyond tier and lists (docs/credit-codes.md, "Flags and entitlements"):
 * byte 22 (flags) and bytes 23–24 (the entitlement bitmap, big-endian) of the signed credential.
 */

/** Bits of the flags byte. There is deliberately no black-list bit: a blocked subject gets no entitlements. */
export const CreditCodeFlag = {
  /** The holder may receive incentives at all; the platform clears it when the holder is blocked. */
  INCENTIVE_ELIGIBLE: 0x01,
  /** The holder is on a red list (守信红名单). */
  RED_LIST: 0x02,
} as const;
export type CreditCodeFlagName = keyof typeof CreditCodeFlag;

/** Bits of the entitlement bitmap: one per 信易+ programme the holder may use. */
export const CreditEntitlement = {
  /** 信易游 */ TRAVEL: 1 << 0,
  /** 信易行 */ TRANSPORT: 1 << 1,
  /** 信易阅 */ READING: 1 << 2,
  /** 信易医 */ MEDICAL: 1 << 3,
  /** 信易购 */ SHOPPING: 1 << 4,
  /** 信易批 */ APPROVAL: 1 << 5,
  /** 信易贷 */ LOAN: 1 << 6,
  /** 信易租 */ RENTAL: 1 << 7,
} as const;
export type CreditEntitlementName = keyof typeof CreditEntitlement;

export const CREDIT_ENTITLEMENT_NAMES = Object.keys(CreditEntitlement) as CreditEntitlementName[];
export const CREDIT_CODE_FLAG_NAMES = Object.keys(CreditCodeFlag) as CreditCodeFlagName[];
