import { beforeAll, describe, expect, it } from 'vitest';
import { generateOrganisations, generatePopulation } from '../../simulator/index.js';
import { type ExampleRun, expectNoPersonalData, runExample, section } from './run-example.js';

// The example's synthetic companies and people (its SEED): whose codes it may have printed.
const companies = generateOrganisations(40, 'example-bank-counter');
const people = generatePopulation(5, 'example-bank-counter', {
  blackListRate: 0,
  keyAttentionRate: 0,
  mix: { AA: 1 },
});

describe('examples/bank-counter', () => {
  let run: ExampleRun;
  beforeAll(async () => {
    run = await runExample('bank-counter');
  }, 60_000);

  it('runs to completion with one command', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^bank counter, 2026-11-26: 信易贷 for companies \(市场主体\)\n/);
  });

  it('serves a company by its typed credit code, and publishes only once the credit is granted', () => {
    const s = section(run.stdout, 'company 1: ');
    expect(s).toMatch(/decision: granted, organisation [0-9A-Y]\*{16}[0-9A-Y], tier A{1,3}, source platform/);
    expect(s).toContain('screen: 信用优惠：信用快贷（30万元以下）、贷款利率9.5折');
    expect(s).toContain('公示 records now: 0 (nothing is granted yet)');
    expect(s).toContain('2026-11-27: credit approved → confirmUse: 2 benefits used');
    expect(s).toContain('granted 2026-11-27T07:00:00.000Z, publish by 2026-12-08');
    expect(s).toContain('basis 《青州市“信易+”实施方案》（青办发〔2018〕52号）“信易贷”');
    expect(s).not.toMatch(/待确认|默认/);
  });

  it('reads a business licence QR code that carries the code; a declined loan publishes nothing', () => {
    const s = section(run.stdout, 'company 2: ');
    expect(s).toContain('decision: granted, organisation');
    expect(run.stdout).toContain('journal: 6 decisions, 2 公示 records waiting for upload');
  });

  it('refuses a licence QR code without the code, and a mistyped code, naming the rule only', () => {
    expect(section(run.stdout, 'company 3: a licence')).toContain(
      '(warning CREDENTIAL_INVALID: licence-qr-without-code)',
    );
    expect(section(run.stdout, 'company 3: code typed')).toContain(
      'screen: 暂不符合信用优惠条件，按常规流程办理；如有疑问请至服务窗口咨询。',
    );
    expect(section(run.stdout, 'company 4: ')).toContain('(warning CREDENTIAL_INVALID: check-char)');
  });

  it('tells a person at the counter that 信易贷 here is for companies, without looking them up', () => {
    const s = section(run.stdout, 'a person with an ID card');
    expect(s).toContain('decision: denied, person');
    expect(s).toContain('tier unknown, source none');
    expect(s).toContain('screen: 此处的信用优惠面向企业等市场主体，按常规流程办理。');
  });

  it('prints no credit code, ID number or name: masked forms only', () => {
    for (const company of companies) {
      expect(run.stdout).not.toContain(company.creditCode.slice(1, 17));
      expect(run.stdout).not.toContain(company.creditCode.slice(8, 17));
    }
    expectNoPersonalData(run.stdout, people);
  });
});
