import { XinyiError } from './errors.js';

/** Basis points in one whole: 10000 bp = 100 %. */
export const BP_PER_UNIT = 10_000;

/**
 * The amount to pay for `amountFen` at a pay ratio of `payBp` (9500 = 95折), rounded once,
 * half-up, to whole fen. Apply every ratio first (`combinePayBp`) and round only here.
 */
export function applyPayRatio(amountFen: number, payBp: number): number {
  if (!Number.isSafeInteger(amountFen) || amountFen < 0) {
    throw new XinyiError('INVALID_ARGUMENT', `amountFen must be a non-negative integer, got ${amountFen}`);
  }
  if (!Number.isFinite(payBp) || payBp < 0 || payBp > BP_PER_UNIT) {
    throw new XinyiError('INVALID_ARGUMENT', `payBp must be within 0..10000, got ${payBp}`);
  }
  return Math.floor((amountFen * payBp + BP_PER_UNIT / 2) / BP_PER_UNIT);
}

/**
 * Pay ratios that stack multiply (9折 × 8折 = 72折). The result is exact (a fraction of bp may remain),
 * so that rounding happens once, at the end, in `applyPayRatio`.
 */
export function combinePayBp(ratiosBp: readonly number[]): number {
  let combined = BP_PER_UNIT;
  for (const bp of ratiosBp) combined = (combined * bp) / BP_PER_UNIT;
  return combined;
}

/** "95折" style label for a pay ratio (9500 → "9.5折", 9800 → "9.8折", 8000 → "8折"). */
export function formatPayBp(payBp: number): string {
  const zhe = Math.round(payBp / 10) / 100;
  return `${Number.isInteger(zhe) ? zhe.toFixed(0) : String(zhe)}折`;
}

/** ¥ label for an amount in fen (123456 → "¥1,234.56"). */
export function formatFen(amountFen: number): string {
  const sign = amountFen < 0 ? '-' : '';
  const abs = Math.abs(amountFen);
  const yuan = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+$)/g, ',');
  return `${sign}¥${yuan}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * An amount in fen as it is said aloud in Chinese, for texts read to a citizen: whole 万 and 亿 are
 * named (5000000 → "5万元", 30000000 → "30万元", 150000 → "1500元", 1500000 → "1.5万元",
 * 10000000000 → "1亿元"), fen only when there are some (1250 → "12.5元"). Throws `INVALID_ARGUMENT`
 * for an amount that is not a non-negative safe integer.
 */
export function formatYuanSpoken(amountFen: number): string {
  if (!Number.isSafeInteger(amountFen) || amountFen < 0) {
    throw new XinyiError('INVALID_ARGUMENT', `amountFen must be a non-negative integer, got ${amountFen}`);
  }
  if (amountFen % 100 !== 0) return `${String(Number((amountFen / 100).toFixed(2)))}元`;
  const yuan = amountFen / 100;
  // A 万 or 亿 figure is said with at most two decimals (1.25万元); finer amounts are said in 元.
  if (yuan >= 100_000_000 && yuan % 1_000_000 === 0) return `${String(yuan / 100_000_000)}亿元`;
  if (yuan >= 10_000 && yuan % 100 === 0) return `${String(yuan / 10_000)}万元`;
  return `${String(yuan)}元`;
}
