import { beforeAll, describe, expect, it } from 'vitest';
import { generatePopulation } from '../../simulator/index.js';
import { type ExampleRun, expectNoPersonalData, runExample, section, tempDirs } from './run-example.js';

// The example's synthetic patients (its SEED and options): the people it may have printed.
const people = generatePopulation(80, 'example-hospital-desk', { keyAttentionRate: 0.05 });

describe('examples/hospital-desk', () => {
  let run: ExampleRun;
  let leftBehind: string[];
  beforeAll(async () => {
    const before = tempDirs('xinyi-example-hospital-');
    run = await runExample('hospital-desk');
    leftBehind = [...tempDirs('xinyi-example-hospital-')].filter((d) => !before.has(d));
  }, 60_000);

  it('runs to completion with one command and removes its journal', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^inpatient deposit ¥3,000\.00; documents: /);
    expect(leftBehind).toEqual([]);
  });

  it('waives the deposit and defers the documents for an AA patient', () => {
    const s = section(run.stdout, 'patient 1 ');
    expect(s).toContain('decision: granted, tier AA');
    expect(s).toContain('deposit: waived (¥3,000.00 not collected)');
    expect(s).toContain('documents deferred: yes');
  });

  it('records the staff override of a denied decision, with its reason, after refusing an ID number in it', () => {
    const s = section(run.stdout, 'patient 2 ');
    expect(s).toContain('decision: denied, tier B');
    expect(s).toContain('deposit: ¥3,000.00 to pay now');
    expect(s).toContain('documents deferred: no');
    expect(s).toContain('patient asks for a human review (PIPL art. 24)');
    expect(s).toContain(
      'refused: INVALID_ARGUMENT: reason contains what looks like a resident ID number; the journal refuses it',
    );
    const after = s.slice(s.indexOf('override recorded'));
    expect(after).toMatch(
      /^override recorded: denied → granted by staff N-0417, reason: 急诊入院，值班主任复核同意：家属已签署押金缓交承诺书\n/,
    );
    expect(after).toContain('deposit: waived');
    expect(after).toContain('documents deferred: yes');
  });

  it('leaves a key-attention patient to staff, who keep the deposit on review', () => {
    const s = section(run.stdout, 'patient 3 ');
    expect(s).toContain('reasons: KEY_ATTENTION_REVIEW');
    expect(s).toContain('override recorded: denied → denied by staff N-0417');
    expect(s).toContain('deposit: ¥3,000.00 to pay now');
  });

  it('reads both overrides back from the journal', () => {
    expect(section(run.stdout, 'journal overrides:').split('\n').slice(1)).toEqual([
      '  2026-11-26 08:40 (Asia/Shanghai) denied → granted (deposit-waiver, docs-deferred) by N-0417: 急诊入院，值班主任复核同意：家属已签署押金缓交承诺书',
      '  2026-11-26 08:52 (Asia/Shanghai) denied → denied by N-0417: 人工复核：择期入院，按常规缴纳押金',
    ]);
  });

  it('prints no ID number or name', () => {
    expectNoPersonalData(run.stdout, people);
  });
});
