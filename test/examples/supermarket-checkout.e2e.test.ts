import { beforeAll, describe, expect, it } from 'vitest';
import { generatePopulation } from '../../simulator/index.js';
import { type ExampleRun, expectNoPersonalData, runExample, section, tempDirs } from './run-example.js';

// The example's synthetic population (its SEED and options): the people it may have printed.
const people = generatePopulation(120, 'example-supermarket-checkout', {
  redListRate: 0.05,
  blackListRate: 0.08,
});

describe('examples/supermarket-checkout', () => {
  let run: ExampleRun;
  let leftBehind: string[];
  beforeAll(async () => {
    const before = tempDirs('xinyi-example-checkout-');
    run = await runExample('supermarket-checkout');
    leftBehind = [...tempDirs('xinyi-example-checkout-')].filter((d) => !before.has(d));
  }, 60_000);

  it('runs to completion with one command and removes its snapshot and journal', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^start of day: trust list v1, status list, snapshot #1 \(\d+ records\) applied/,
    );
    expect(leftBehind).toEqual([]);
  });

  it('applies the AAA 9.5折 from a credit code to the discountable goods only', () => {
    const s = section(run.stdout, 'shopper 1 shows a credit code');
    expect(s).toContain('decision: granted, tier AAA, source credit-code, lane: 信用专用通道');
    expect(s).toMatch(/subtotal\s+¥478\.00/);
    expect(s).toMatch(/信易购 9\.5折 on ¥210\.00\s+-¥10\.50/);
    expect(s).toMatch(/TOTAL\s+¥467\.50/);
    expect(s).toContain('points 934 (积分2倍)');
    expect(s).toContain('perks: 免费停车、免雨伞押金、免费购物袋、免费会员卡、免费修裤脚、免费清理首饰');
    expect(s).toContain('credit: signed credit code, verified offline');
  });

  it('applies the AA 9.8折 from the platform and counts the sale', () => {
    const s = section(run.stdout, 'shopper 2 taps an ID card');
    expect(s).toContain('decision: granted, tier AA, source platform');
    expect(s).toMatch(/信易购 9\.8折 on ¥210\.00\s+-¥4\.20/);
    expect(s).toMatch(/TOTAL\s+¥473\.80/);
    expect(s).toContain('sale confirmed: 9 benefit use(s) counted');
    expect(s).toMatch(/shopper 2: \d\*{16}[\dX]/);
  });

  it('gives an A shopper the lane and perks but no discount', () => {
    const s = section(run.stdout, 'shopper 3 taps an ID card');
    expect(s).toContain('decision: granted, tier A, source platform, lane: 信用专用通道');
    expect(s).not.toContain('信易购');
    expect(s).toMatch(/TOTAL\s+¥478\.00/);
    expect(s).toContain('sale confirmed: 8 benefit use(s) counted');
  });

  it('charges a black-listed shopper the normal price with the neutral text', () => {
    const s = section(run.stdout, 'shopper 4 taps an ID card');
    expect(s).toContain('decision: denied');
    expect(s).toContain('lane: any lane');
    expect(s).toMatch(/TOTAL\s+¥478\.00/);
    expect(s).toContain('points 478\n');
    expect(s).toContain('暂不符合信用优惠条件，按常规流程办理');
    expect(s).toContain('sale confirmed: 0 benefit use(s) counted');
  });

  it('shows the platform outage and decides from the offline snapshot, on the receipt too', () => {
    expect(run.stdout).toContain('*** platform down: the mock platform answers 503 to every request ***');
    const s = section(run.stdout, 'shopper 5 taps an ID card');
    expect(s).toContain('⚠ credit source "platform" offline (CREDIT_UNAVAILABLE)');
    expect(s).toContain('decision: granted, tier AA, source snapshot');
    expect(s).toContain('platform down: decided from the offline snapshot');
    expect(s).toContain('credit: OFFLINE SNAPSHOT (credit platform unavailable)');
    expect(s).toMatch(/TOTAL\s+¥473\.80/);
  });

  it('goes back to the platform when it is up again, and keeps every decision in the journal', () => {
    const s = section(run.stdout, 'shopper 6 taps an ID card');
    expect(s).toContain('✓ credit source "platform" back online');
    expect(s).toContain('source platform');
    expect(run.stdout).toContain('journal: 6 decisions, 43 uses confirmed; 6 decisions wait for upload');
  });

  it('prints no ID number or name', () => {
    expectNoPersonalData(run.stdout, people);
  });
});
