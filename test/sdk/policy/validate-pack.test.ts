import { describe, expect, it } from 'vitest';
import { isXinyiError, type XinyiError } from '../../../sdk/errors.js';
import { evaluate } from '../../../sdk/policy/evaluate.js';
import type { PolicyPack, PolicyRule } from '../../../sdk/policy/pack.js';
import { qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import { loadPolicyPack } from '../../../sdk/policy/validate-pack.js';
import { clonePack, NOW_ISO, standing } from './fixtures.js';

/** The POLICY_PACK_INVALID error loadPolicyPack throws for `data`. */
function refusal(data: unknown): XinyiError {
  try {
    loadPolicyPack(data);
  } catch (error) {
    if (isXinyiError(error, 'POLICY_PACK_INVALID')) return error;
    throw error;
  }
  throw new Error('expected loadPolicyPack to refuse the pack');
}

/** Edits a fresh copy of the default pack and expects it refused with a message naming `path`. */
function expectRefused(edit: (pack: PolicyPack) => void, path: string, detail?: RegExp): XinyiError {
  const pack = clonePack();
  edit(pack);
  const error = refusal(pack);
  expect(error.message.startsWith(`policy pack: ${path}: `), error.message).toBe(true);
  expect(error.details).toEqual({ path });
  if (detail) expect(error.message).toMatch(detail);
  return error;
}

const indexOf = (pack: PolicyPack, id: string) => pack.rules.findIndex((r) => r.id === id);
const ruleAt = (pack: PolicyPack, id: string): PolicyRule => pack.rules[indexOf(pack, id)]!;

describe('loadPolicyPack: accepts', () => {
  it('the default pack, unchanged', () => {
    const loaded = loadPolicyPack(qingzhouPolicyPack);
    expect(loaded).toEqual(qingzhouPolicyPack);
  });

  it('the default pack after a JSON round trip, deciding exactly as the original', () => {
    const json = JSON.parse(JSON.stringify(qingzhouPolicyPack)) as unknown;
    const loaded = loadPolicyPack(json);
    expect(loaded).toEqual(qingzhouPolicyPack);
    for (const rule of qingzhouPolicyPack.rules) {
      const input = {
        scene: rule.scene,
        standing: standing({ tier: 'AAA' }),
        context: { siteId: 'yunmenshan' },
        now: NOW_ISO,
      };
      expect(evaluate(loaded, input)).toEqual(evaluate(qingzhouPolicyPack, input));
    }
  });

  it('a pack with no rules and a two-band scheme', () => {
    const pack = clonePack();
    pack.rules = [];
    pack.stackGroups = {};
    pack.tierScheme = {
      id: 'two',
      bands: [
        { code: 'A', rank: 2, labelZh: '好', minInclusive: 0 },
        { code: 'D', rank: 1, labelZh: '差', maxExclusive: 0 },
      ],
    };
    pack.redListFloorTier = null;
    expect(() => loadPolicyPack(pack)).not.toThrow();
  });
});

describe('loadPolicyPack: refuses, naming the bad field', () => {
  it('payBp 12000 → rules[N].benefit.payBp', () => {
    const error = expectRefused(
      (p) => {
        ruleAt(p, 'market.discount.aa').benefit = { kind: 'discount', payBp: 12_000 };
      },
      `rules[${indexOf(qingzhouPolicyPack, 'market.discount.aa')}].benefit.payBp`,
    );
    expect(error.message).toMatch(/10000/);
  });

  it('a negative or fractional payBp', () => {
    const n = indexOf(qingzhouPolicyPack, 'transit.fare-discount');
    expectRefused((p) => {
      p.rules[n]!.benefit = { kind: 'discount', payBp: -1 };
    }, `rules[${n}].benefit.payBp`);
    expectRefused((p) => {
      p.rules[n]!.benefit = { kind: 'discount', payBp: 9_000.5 };
    }, `rules[${n}].benefit.payBp`);
  });

  it('an unknown scene → rules[N].scene', () => {
    const n = indexOf(qingzhouPolicyPack, 'hotel.deposit-waiver');
    expectRefused((p) => {
      (p.rules[n] as { scene: string }).scene = 'moon-base';
    }, `rules[${n}].scene`);
  });

  it('an unknown scene in sceneDomains', () => {
    expectRefused(
      (p) => {
        (p.sceneDomains as Record<string, string>)['moon-base'] = 'space';
      },
      'sceneDomains',
      /moon-base/,
    );
  });

  it('a duplicate rule id → the second occurrence', () => {
    const error = expectRefused((p) => {
      p.rules.push({ ...structuredClone(ruleAt(p, 'hotel.express-checkout')) });
    }, `rules[${qingzhouPolicyPack.rules.length}].id`);
    expect(error.message).toContain('hotel.express-checkout');
  });

  it('a stackGroup that stackGroups does not define → rules[N].stackGroup', () => {
    const n = indexOf(qingzhouPolicyPack, 'hotel.deposit-waiver');
    const error = expectRefused((p) => {
      p.rules[n]!.stackGroup = 'hotel.nowhere';
    }, `rules[${n}].stackGroup`);
    expect(error.message).toContain('hotel.nowhere');
  });

  it('overlapping tier bands', () => {
    // AA reaching up to 1200 overlaps AAA from 1150.
    expectRefused((p) => {
      p.tierScheme.bands[1]!.maxExclusive = 1_200;
    }, 'tierScheme.bands[1].maxExclusive');
    // A starting at 990 overlaps B up to 1000.
    expectRefused((p) => {
      p.tierScheme.bands[2]!.minInclusive = 990;
    }, 'tierScheme.bands[3].maxExclusive');
  });

  it('gapped tier bands', () => {
    expectRefused((p) => {
      p.tierScheme.bands[1]!.maxExclusive = 1_100;
    }, 'tierScheme.bands[1].maxExclusive');
    expectRefused((p) => {
      p.tierScheme.bands[5]!.maxExclusive = 700;
    }, 'tierScheme.bands[5].maxExclusive');
  });

  it('bands that are closed at the ends, empty, out of order or repeated', () => {
    expectRefused((p) => {
      p.tierScheme.bands[0]!.maxExclusive = 2_000;
    }, 'tierScheme.bands[0].maxExclusive');
    expectRefused((p) => {
      p.tierScheme.bands[5]!.minInclusive = 0;
    }, 'tierScheme.bands[5].minInclusive');
    expectRefused((p) => {
      p.tierScheme.bands[1]!.minInclusive = 1_150;
    }, 'tierScheme.bands[1]');
    expectRefused((p) => {
      p.tierScheme.bands[1]!.rank = 7;
    }, 'tierScheme.bands[1].rank');
    expectRefused((p) => {
      p.tierScheme.bands[1]!.code = 'AAA';
    }, 'tierScheme.bands[1].code');
    expectRefused((p) => {
      p.tierScheme.bands = [];
    }, 'tierScheme.bands');
  });

  it('a tier code that does not exist, in a condition', () => {
    const n = indexOf(qingzhouPolicyPack, 'library.loan-limit.aa');
    expectRefused((p) => {
      (p.rules[n]! as { when: unknown }).when = { fact: 'tier', op: 'gte', value: 'E' };
    }, `rules[${n}].when.value`);
  });

  it('a tier the pack scheme does not define, in a condition → rules[N].when.value', () => {
    const pack = clonePack();
    // A scheme without AAA: AA becomes the open-topped best band.
    pack.tierScheme = { id: 'no-aaa', bands: pack.tierScheme.bands.slice(1) };
    delete pack.tierScheme.bands[0]!.maxExclusive;
    const n = pack.rules.findIndex((r) => JSON.stringify(r.when).includes('"AAA"'));
    expect(n).toBeGreaterThanOrEqual(0);
    const error = refusal(pack);
    expect(error.message).toMatch(new RegExp(`^policy pack: rules\\[${n}\\]\\.when\\.value: .*AAA`));
  });

  it('a nested unknown tier in an all/any/not is found too', () => {
    const pack = clonePack();
    pack.tierScheme = { id: 'no-aaa', bands: pack.tierScheme.bands.slice(1) };
    delete pack.tierScheme.bands[0]!.maxExclusive;
    pack.rules = pack.rules.filter((r) => !JSON.stringify(r.when).includes('"AAA"'));
    pack.rules[0]!.when = { all: [{ any: [{ not: { fact: 'tier', op: 'in', value: ['A', 'AAA'] } }] }] };
    expect(refusal(pack).message).toMatch(/^policy pack: rules\[0\]\.when\.all\[0\]\.any\[0\]\.not\.value: /);
  });

  it('trustworthyMinTier or redListFloorTier not defined by the scheme', () => {
    const pack = clonePack();
    pack.tierScheme = { id: 'no-aaa', bands: pack.tierScheme.bands.slice(1) };
    delete pack.tierScheme.bands[0]!.maxExclusive;
    pack.trustworthyMinTier = 'AAA';
    expect(refusal(pack).details).toEqual({ path: 'trustworthyMinTier' });
    pack.trustworthyMinTier = 'A';
    pack.redListFloorTier = 'AAA';
    expect(refusal(pack).details).toEqual({ path: 'redListFloorTier' });
  });

  it('an unknown top-level key, named in the message', () => {
    const error = refusal({ ...clonePack(), rulez: [] });
    expect(error.message).toContain('rulez');
  });

  it('an unknown key inside a rule or a benefit', () => {
    const n = indexOf(qingzhouPolicyPack, 'hotel.deposit-waiver');
    expectRefused(
      (p) => {
        (p.rules[n] as unknown as Record<string, unknown>).weight = 3;
      },
      `rules[${n}]`,
      /weight/,
    );
    expectRefused(
      (p) => {
        (p.rules[n]!.benefit as unknown as Record<string, unknown>).amountFen = 3;
      },
      `rules[${n}].benefit`,
      /amountFen/,
    );
  });

  it('a multiplicative group with a non-discount benefit → rules[N].benefit.kind', () => {
    const n = indexOf(qingzhouPolicyPack, 'library.loan-limit.a');
    expectRefused(
      (p) => {
        p.stackGroups['library.loan-limit'] = { mode: 'multiplicative' };
      },
      `rules[${n}].benefit.kind`,
      /multiplicative/,
    );
  });

  it('an additive group with a benefit that has no amount, or a deposit waiver without maxFen', () => {
    // The group's first rule in the file is reported.
    const n = indexOf(qingzhouPolicyPack, 'market.discount.aaa');
    expectRefused(
      (p) => {
        p.stackGroups['market.discount'] = { mode: 'additive' };
      },
      `rules[${n}].benefit.kind`,
      /additive/,
    );
    const h = indexOf(qingzhouPolicyPack, 'hotel.deposit-waiver');
    expectRefused((p) => {
      p.stackGroups['hotel.deposit'] = { mode: 'additive' };
      p.rules[h]!.stackGroup = 'hotel.deposit';
    }, `rules[${h}].benefit.maxFen`);
  });

  it('a combining group mixing benefit kinds', () => {
    const n = indexOf(qingzhouPolicyPack, 'library.loan-extension.aa');
    expectRefused(
      (p) => {
        p.rules[n]!.stackGroup = 'library.loan-limit';
      },
      `rules[${n}].benefit.kind`,
      /loan-limit.*loan-extension/,
    );
  });

  it('dates, ids, reasons and numbers in the wrong form', () => {
    expectRefused((p) => {
      p.validFrom = '2026/01/01';
    }, 'validFrom');
    expectRefused((p) => {
      p.validFrom = '2026-12-01';
      p.validTo = '2026-01-01';
    }, 'validTo');
    const n = indexOf(qingzhouPolicyPack, 'hotel.deposit-waiver');
    expectRefused((p) => {
      p.rules[n]!.validFrom = '2026-12-01';
      p.rules[n]!.validTo = '2026-01-01';
    }, `rules[${n}].validTo`);
    expectRefused((p) => {
      p.rules[n]!.id = 'Hotel.Deposit';
    }, `rules[${n}].id`);
    expectRefused((p) => {
      p.rules[n]!.when = { fact: 'trustworthy', op: 'eq', value: true, reason: 'lower case' };
    }, `rules[${n}].when.reason`);
    expectRefused((p) => {
      p.standingMaxAgeHours.platform = 0;
    }, 'standingMaxAgeHours.platform');
    expectRefused((p) => {
      p.stackGroups['market.discount'] = { mode: 'max', minPayBp: 10_001 };
    }, 'stackGroups["market.discount"].minPayBp');
    expectRefused(
      (p) => {
        p.validTo = '2026-02-30';
      },
      'validTo',
      /real calendar date/,
    );
    expectRefused((p) => {
      p.stackGroups['library.loan-limit'] = { mode: 'max', maxValue: 0 };
    }, 'stackGroups["library.loan-limit"].maxValue');
    expectRefused((p) => {
      (p as { format: string }).format = 'xinyi-policy-pack/2';
    }, 'format');
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['a string', 'pack'],
    ['an empty object', {}],
  ])('%s', (_label, data) => {
    expect(isXinyiError(refusal(data), 'POLICY_PACK_INVALID')).toBe(true);
  });
});

describe('loadPolicyPack: disclosure, coverage, holidays and aliases', () => {
  it('a disclosure without a public basis, or one citing an internal note or a file', () => {
    const n = indexOf(qingzhouPolicyPack, 'service.green-channel');
    expectRefused((p) => {
      (p.rules[n]!.disclosure as { legalBasis?: string }).legalBasis = undefined;
    }, `rules[${n}].disclosure.legalBasis`);
    for (const internal of [
      '青州市信易+ 实施方案（ARCHITECTURE.md 默认政策表）',
      '方案“信易批”；默认值待市信用办确认',
      '“信易批”条款，待确认',
    ]) {
      expectRefused(
        (p) => {
          p.rules[n]!.disclosure!.legalBasis = internal;
        },
        `rules[${n}].disclosure.legalBasis`,
        /must cite the programme/,
      );
    }
  });

  it('a disclosure `when` naming a tier the scheme does not define', () => {
    const n = indexOf(qingzhouPolicyPack, 'service.green-channel');
    expectRefused(
      (p) => {
        p.rules[n]!.disclosure!.when = { fact: 'tier', op: 'gte', value: 'AAA' };
        p.tierScheme.bands = p.tierScheme.bands.filter((b) => b.code !== 'AAA');
        p.tierScheme.bands[0]!.maxExclusive = undefined;
        p.rules = p.rules.filter((r) => r.id === 'service.green-channel');
        p.stackGroups = {};
      },
      'rules[0].disclosure.when.value',
      /AAA/,
    );
  });

  it('coverage that reads credit data: it is decided before any standing is known', () => {
    expectRefused(
      (p) => {
        p.coverage = {
          'bank-counter': {
            all: [
              { fact: 'subjectType', op: 'eq', value: 'organisation' },
              { fact: 'tier', op: 'gte', value: 'A' },
            ],
          },
        };
      },
      'coverage["bank-counter"].all[1].fact',
      /only context and subjectType/,
    );
    expectRefused((p) => {
      p.coverage = { 'not-a-scene': { fact: 'subjectType', op: 'eq', value: 'person' } } as never;
    }, 'coverage');
  });

  it('a subject type that is neither person nor organisation', () => {
    expectRefused((p) => {
      p.coverage = { 'bank-counter': { fact: 'subjectType', op: 'eq', value: 'legal-person' } as never };
    }, 'coverage["bank-counter"].value');
  });

  it('a 重大节假日 name the calendar never gives, or one listed twice', () => {
    expectRefused((p) => {
      p.majorHolidays = ['春节', '五一'];
    }, 'majorHolidays[1]');
    expectRefused(
      (p) => {
        p.majorHolidays = ['春节', '国庆节', '春节'];
      },
      'majorHolidays[2]',
      /twice/,
    );
  });

  it('accepts every statutory holiday name for 重大节假日, the documented alternative among them', () => {
    const pack = clonePack();
    pack.majorHolidays = ['元旦', '春节', '清明节', '劳动节', '端午节', '中秋节', '国庆节'];
    expect(loadPolicyPack(pack).majorHolidays).toHaveLength(7);
  });

  it('a site alias that is empty', () => {
    expectRefused((p) => {
      p.siteAliases = { ' ': 'yunmenshan' };
    }, 'siteAliases[" "]');
  });
});

describe('evaluate with a bad pack', () => {
  it('throws POLICY_PACK_INVALID before deciding anything', () => {
    const pack = clonePack();
    ruleAt(pack, 'market.discount.aa').benefit = { kind: 'discount', payBp: 12_000 };
    let caught: unknown;
    try {
      evaluate(pack, { scene: 'supermarket-checkout', standing: standing({ tier: 'AAA' }), now: NOW_ISO });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'POLICY_PACK_INVALID' });
    expect((caught as Error).message).toContain(
      `rules[${indexOf(pack, 'market.discount.aa')}].benefit.payBp`,
    );
  });

  it('throws for a bad pack even in a scene the bad rule does not touch', () => {
    const pack = clonePack();
    pack.tierScheme.bands[1]!.maxExclusive = 1_100;
    expect(() => evaluate(pack, { scene: 'library-kiosk', standing: standing(), now: NOW_ISO })).toThrow(
      expect.objectContaining({ code: 'POLICY_PACK_INVALID' }),
    );
  });
});
