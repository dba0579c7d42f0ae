import { describe, expect, it } from 'vitest';
import { CreditCodeFlag, CreditEntitlement } from '../../../sdk/domain/entitlements.js';
import { SCENE_IDS } from '../../../sdk/domain/scenes.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { QINGZHOU_SCENE_PROGRAMMES } from '../../../sdk/policy/qingzhou-pack.js';
import { loadPolicyPack } from '../../../sdk/policy/validate-pack.js';
import { clonePack, decide, FULL_CODE_CLAIMS, reasonCodes, standing } from './fixtures.js';

// Context every scene's best benefits need (the scenic spot, an amount).
const CONTEXT = { siteId: 'yunmenshan', amountFen: 10_000 };
const ELIGIBLE = CreditCodeFlag.INCENTIVE_ELIGIBLE;

const code = (entitlements: number, flags: number = ELIGIBLE, tier: 'AAA' | 'A' = 'AAA') =>
  standing({ tier, source: 'credit-code', codeClaims: { entitlements, flags } });

describe('entitlements: a credit code carries the bit of the scene’s 信易+ programme', () => {
  it('entitlements 0 and flags 0: no benefit at the scenic gate, ENTITLEMENT_MISSING, neutral text', () => {
    const d = decide({ scene: 'scenic-gate', standing: code(0, 0), context: CONTEXT });
    expect(d.outcome).toBe('denied');
    expect(d.benefits).toEqual([]);
    expect(d.reasons).toEqual([{ code: 'ENTITLEMENT_MISSING' }]);
    expect(d.explanation.citizen).toBe('暂不符合信用优惠条件，按常规流程办理；如有疑问请至服务窗口咨询。');
    expect(d.explanation.citizen).not.toMatch(/权益|信易|黑名单|entitle/i);
  });

  it('every programme bit but without INCENTIVE_ELIGIBLE: no benefit', () => {
    const d = decide({
      scene: 'scenic-gate',
      standing: code(0xff, CreditCodeFlag.RED_LIST),
      context: CONTEXT,
    });
    expect(reasonCodes(d)).toEqual(['ENTITLEMENT_MISSING']);
    expect(d.benefits).toEqual([]);
  });

  it.each(SCENE_IDS)('%s requires its own programme bit, and only that one', (scene) => {
    const bit = CreditEntitlement[QINGZHOU_SCENE_PROGRAMMES[scene]];
    const without = decide({ scene, standing: code(0xff & ~bit), context: CONTEXT });
    expect(without.outcome).toBe('denied');
    expect(without.reasons).toEqual([{ code: 'ENTITLEMENT_MISSING' }]);
    const only = decide({ scene, standing: code(bit), context: CONTEXT });
    expect(only.outcome).toBe('granted');
    expect(reasonCodes(only)).not.toContain('ENTITLEMENT_MISSING');
    // The full code gets exactly what the same tier gets from the platform.
    const full = decide({ scene, standing: code(FULL_CODE_CLAIMS.entitlements), context: CONTEXT });
    const platform = decide({ scene, standing: standing({ tier: 'AAA' }), context: CONTEXT });
    expect(full.benefits).toEqual(platform.benefits);
  });

  it('the mapping is the programme table: 信易游 gate and hotel, 信易购, 信易阅, 信易医, 信易行, 信易批, 信易贷, 信易租', () => {
    expect(QINGZHOU_SCENE_PROGRAMMES).toEqual({
      'scenic-gate': 'TRAVEL',
      'hotel-front-desk': 'TRAVEL',
      'supermarket-checkout': 'SHOPPING',
      'library-kiosk': 'READING',
      'hospital-admission': 'MEDICAL',
      'transit-counter': 'TRANSPORT',
      'service-window': 'APPROVAL',
      'bank-counter': 'LOAN',
      'rental-desk': 'RENTAL',
    });
  });

  it('standings from the platform and the snapshot are unaffected: they carry no code bits', () => {
    for (const source of ['platform', 'snapshot'] as const) {
      const d = decide({
        scene: 'scenic-gate',
        standing: standing({ tier: 'AAA', source }),
        context: CONTEXT,
      });
      expect(d.outcome).toBe('granted');
    }
  });

  it('a credit-code standing without its claims fails safe (a resolver that dropped them)', () => {
    const d = decide({
      scene: 'library-kiosk',
      standing: standing({ tier: 'AAA', source: 'credit-code', codeClaims: null }),
    });
    expect(d.reasons).toEqual([{ code: 'ENTITLEMENT_MISSING' }]);
  });

  it('a blocking list still comes first; the requirement does not reveal the listing', () => {
    const d = decide({
      scene: 'scenic-gate',
      standing: standing({
        tier: 'AAA',
        source: 'credit-code',
        lists: [{ kind: 'black' }],
        codeClaims: null,
      }),
      context: CONTEXT,
    });
    expect(d.reasons).toEqual([{ code: 'LIST_BLOCK' }]);
  });

  it('a rule may test a bit or a flag itself, with its own reason', () => {
    const pack = clonePack();
    pack.sceneRequirements = {};
    const rule = pack.rules.find((r) => r.id === 'library.loan-limit.a')!;
    rule.when = {
      all: [rule.when, { fact: 'codeFlag', op: 'set', value: 'RED_LIST', reason: 'NOT_RED' }],
    };
    const plain = decide({ pack, scene: 'library-kiosk', standing: code(0, ELIGIBLE, 'A') });
    expect(reasonCodes(plain, 'library.loan-limit.a')).toEqual(['NOT_RED']);
    const red = decide({
      pack,
      scene: 'library-kiosk',
      standing: code(0, ELIGIBLE | CreditCodeFlag.RED_LIST, 'A'),
    });
    expect(reasonCodes(red, 'library.loan-limit.a')).toEqual(['GRANTED']);
  });

  it('a pack naming an unknown programme or flag is refused, naming the field', () => {
    const pack = clonePack() as unknown as Record<string, unknown>;
    pack.sceneRequirements = { 'scenic-gate': { fact: 'entitlement', op: 'has', value: 'FLYING' } };
    let error: unknown;
    try {
      loadPolicyPack(pack);
    } catch (e) {
      error = e;
    }
    expect(isXinyiError(error, 'POLICY_PACK_INVALID')).toBe(true);
    expect((error as Error).message).toContain('sceneRequirements');
    const flag = clonePack() as unknown as Record<string, unknown>;
    flag.sceneRequirements = { 'scenic-gate': { fact: 'codeFlag', op: 'set', value: 'BLACK_LIST' } };
    expect(() => loadPolicyPack(flag)).toThrow(/sceneRequirements/);
  });
});
