// Pack rules restricted to some credential kinds (`credentialKinds`): in evaluate(), in the default
// Qingzhou pack (a bare member-code barcode unlocks neither free entry nor a deposit waiver) and
// through a terminal, which passes the kind of the credential that was presented.
import { describe, expect, it } from 'vitest';
import type { CredentialKind } from '../../../sdk/domain/credential.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { createPseudonymizer } from '../../../sdk/identity/index.js';
import { evaluate } from '../../../sdk/policy/evaluate.js';
import { qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import { loadPolicyPack } from '../../../sdk/policy/validate-pack.js';
import { createInMemoryCreditProvider } from '../../../sdk/terminal/in-memory-credit-provider.js';
import { createTerminal } from '../../../sdk/terminal/terminal.js';
import { generatePopulation } from '../../../simulator/population.js';
import { clonePack, NOW_ISO, NOW_MS, ORGANISATION_SCENES, reasonCodes, standing } from './fixtures.js';

const scenic = { siteId: 'yunmenshan' };

function decideWith(credentialKind: CredentialKind | undefined, scene: 'scenic-gate' | 'hotel-front-desk') {
  return evaluate(qingzhouPolicyPack, {
    scene,
    standing: standing({ tier: 'AA' }),
    context: scene === 'scenic-gate' ? scenic : undefined,
    now: NOW_ISO,
    ...(credentialKind === undefined ? {} : { credentialKind }),
  });
}

describe('credentialKinds in evaluate()', () => {
  it.each<CredentialKind>(['id-card', 'credit-code'])('%s unlocks free entry at a scenic spot', (kind) => {
    const d = decideWith(kind, 'scenic-gate');
    expect(d.outcome).toBe('granted');
    expect(d.benefits.map((b) => b.kind)).toEqual(['free-entry']);
  });

  it('a bare barcode does not: CREDENTIAL_KIND_NOT_ACCEPTED on the rule, nothing granted', () => {
    const d = decideWith('barcode', 'scenic-gate');
    expect(d.outcome).toBe('denied');
    expect(d.benefits).toEqual([]);
    expect(reasonCodes(d, 'scenic.free-entry')).toEqual(['CREDENTIAL_KIND_NOT_ACCEPTED']);
  });

  it('at a hotel a barcode still gets the perks, but not the deposit waiver', () => {
    const d = decideWith('barcode', 'hotel-front-desk');
    expect(d.benefits.map((b) => b.ruleId).sort()).toEqual([
      'hotel.express-checkout',
      'hotel.no-checkout-inspection',
    ]);
    expect(reasonCodes(d, 'hotel.deposit-waiver')).toEqual(['CREDENTIAL_KIND_NOT_ACCEPTED']);
    expect(decideWith('id-card', 'hotel-front-desk').benefits.map((b) => b.ruleId)).toContain(
      'hotel.deposit-waiver',
    );
  });

  it('tells a qualifying visitor which credential free entry needs, and a low tier the neutral text', () => {
    expect(decideWith('barcode', 'scenic-gate').explanation.citizen).toBe(
      '免费入园需使用身份证或信用码，按常规流程办理。',
    );
    const low = evaluate(qingzhouPolicyPack, {
      scene: 'scenic-gate',
      standing: standing({ tier: 'B' }),
      context: scenic,
      now: NOW_ISO,
      credentialKind: 'barcode',
    });
    expect(low.explanation.citizen).toBe('暂不符合信用优惠条件，按常规流程办理；如有疑问请至服务窗口咨询。');
  });

  it('a condition that fails is reported before the credential kind', () => {
    const d = evaluate(qingzhouPolicyPack, {
      scene: 'scenic-gate',
      standing: standing({ tier: 'B' }),
      context: scenic,
      now: NOW_ISO,
      credentialKind: 'barcode',
    });
    expect(reasonCodes(d, 'scenic.free-entry')).not.toContain('CREDENTIAL_KIND_NOT_ACCEPTED');
  });

  it('an evaluation that is not told the kind fails closed: CREDENTIAL_KIND_MISSING, nothing granted', () => {
    const d = decideWith(undefined, 'scenic-gate');
    expect(d.outcome).toBe('denied');
    expect(d.benefits).toEqual([]);
    expect(reasonCodes(d, 'scenic.free-entry')).toEqual(['CREDENTIAL_KIND_MISSING']);
  });

  it('without a kind, rules that name no credentialKinds still apply (hotel perks, not the deposit waiver)', () => {
    const d = decideWith(undefined, 'hotel-front-desk');
    expect(d.benefits.map((b) => b.ruleId).sort()).toEqual([
      'hotel.express-checkout',
      'hotel.no-checkout-inspection',
    ]);
    expect(reasonCodes(d, 'hotel.deposit-waiver')).toEqual(['CREDENTIAL_KIND_MISSING']);
  });

  it('the kind is part of the derived decision id, so a replay with another kind does not collide', () => {
    expect(decideWith('barcode', 'scenic-gate').id).not.toBe(decideWith('id-card', 'scenic-gate').id);
    expect(decideWith('id-card', 'scenic-gate').id).toBe(decideWith('id-card', 'scenic-gate').id);
  });
});

describe('credentialKinds in the Qingzhou pack', () => {
  it('every free-entry and deposit-waiver rule for persons takes only an ID card or a signed credit code', () => {
    const restricted = qingzhouPolicyPack.rules.filter(
      (r) =>
        (r.benefit.kind === 'free-entry' || r.benefit.kind === 'deposit-waiver') &&
        !ORGANISATION_SCENES.includes(r.scene),
    );
    expect(restricted.length).toBeGreaterThanOrEqual(7);
    for (const rule of restricted)
      expect([rule.id, rule.credentialKinds]).toEqual([rule.id, ['id-card', 'credit-code']]);
  });

  it("a market subject's deposit waivers take its unified social credit code, not a person's credential", () => {
    const restricted = qingzhouPolicyPack.rules.filter(
      (r) => r.benefit.kind === 'deposit-waiver' && ORGANISATION_SCENES.includes(r.scene),
    );
    expect(restricted.map((r) => r.id).sort()).toEqual([
      'rental.equipment-deposit-waiver',
      'rental.office-deposit-waiver',
    ]);
    for (const rule of restricted)
      expect([rule.id, rule.credentialKinds]).toEqual([rule.id, ['organisation']]);
    const at = (credentialKind: CredentialKind) =>
      evaluate(qingzhouPolicyPack, {
        scene: 'rental-desk',
        standing: standing({ tier: 'AA' }),
        now: NOW_ISO,
        subjectType: 'organisation',
        credentialKind,
      });
    expect(at('organisation').benefits.map((b) => b.ruleId)).toContain('rental.office-deposit-waiver');
    expect(reasonCodes(at('id-card'), 'rental.office-deposit-waiver')).toEqual([
      'CREDENTIAL_KIND_NOT_ACCEPTED',
    ]);
  });

  it('rules of other benefits accept any credential', () => {
    const others = qingzhouPolicyPack.rules.filter(
      (r) => r.benefit.kind !== 'free-entry' && r.benefit.kind !== 'deposit-waiver',
    );
    expect(others.filter((r) => r.credentialKinds !== undefined).map((r) => r.id)).toEqual([]);
  });
});

describe('credentialKinds in pack validation', () => {
  it.each<[string, unknown]>([
    ['an empty list', []],
    ['an unknown kind', ['qr-code']],
    ['not a list', 'id-card'],
  ])('%s is POLICY_PACK_INVALID naming the field', (_name, value) => {
    const pack = clonePack();
    (pack.rules[0] as { credentialKinds?: unknown }).credentialKinds = value;
    let error: unknown;
    try {
      loadPolicyPack(pack);
    } catch (e) {
      error = e;
    }
    expect(isXinyiError(error, 'POLICY_PACK_INVALID')).toBe(true);
    expect(String((error as Error).message)).toContain('credentialKinds');
  });
});

describe('credentialKinds through a terminal', () => {
  it('a member code at the scenic gate is decided without free entry; the ID card of the same person gets it', async () => {
    const [person] = generatePopulation(1, 'credential-kinds') as [ReturnType<typeof generatePopulation>[0]];
    const pseudonymizer = createPseudonymizer('credential-kinds-key-0123456789abcdef');
    const provider = createInMemoryCreditProvider({
      clock: { now: () => NOW_MS },
      standings: [
        [pseudonymizer.pseudonymize(person.idNumber), { tier: 'AA', lists: [] }],
        [pseudonymizer.pseudonymize(person.memberCode, 'member'), { tier: 'AA', lists: [] }],
      ],
    });
    const terminal = createTerminal({
      terminalId: 'credential-kinds-01',
      scene: 'scenic-gate',
      context: scenic,
      pseudonymizer,
      credit: [provider],
      clock: { now: () => NOW_MS },
    });
    const byMember = await terminal.present({ kind: 'barcode', text: person.memberCode });
    expect(byMember.effectiveTier).toBe('AA');
    expect(byMember.benefits).toEqual([]);
    expect(reasonCodes(byMember, 'scenic.free-entry')).toEqual(['CREDENTIAL_KIND_NOT_ACCEPTED']);
    const byCard = await terminal.present({ kind: 'id-card', idNumber: person.idNumber });
    expect(byCard.benefits.map((b) => b.kind)).toEqual(['free-entry']);
  });
});
