import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, generatePopulation, generateResidentIdNumber } from '../../simulator/index.js';
import { type ExampleRun, expectNoPersonalData, runExample, section } from './run-example.js';

// The example's synthetic readers (its SEED): the people it may have printed.
const people = generatePopulation(60, 'example-library-kiosk');
const newcomerId = generateResidentIdNumber(createRng('example-library-kiosk:newcomer'), {
  regionCode: '370781',
});

describe('examples/library-kiosk', () => {
  let run: ExampleRun;
  beforeAll(async () => {
    run = await runExample('library-kiosk');
  }, 60_000);

  it('runs to completion with one command', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^library kiosk, 2026-09-01: base loan limit 2 books, base loan period 30 days\n/,
    );
  });

  it('gives an AA reader 4 books in all (not 2 + 4) for 30 + 60 days', () => {
    const s = section(run.stdout, 'reader 1 ');
    expect(s).toContain('decision: granted, tier AA, source platform');
    expect(s).toContain("loan limit 4 books in all (信易阅, library.loan-limit.aa; the library's base is 2)");
    expect(s).toContain('loan period 30 + 60 (信易阅, library.loan-extension.aa) = 90 days');
    expect(s).toContain('lends 4 of 5 book(s) asked for, due 2026-11-30 (Monday)');
    expect(s).toContain('信易阅：本次可借 4 册，借期 90 天，应还日期 2026-11-30');
  });

  it('gives an A reader 3 books in all, due in 60 days', () => {
    const s = section(run.stdout, 'reader 2 ');
    expect(s).toContain("loan limit 3 books in all (信易阅, library.loan-limit.a; the library's base is 2)");
    expect(s).toContain('lends 3 of 6 book(s) asked for, due 2026-10-31 (Saturday)');
    expect(s).toContain('信易阅：本次可借 3 册，借期 60 天，应还日期 2026-10-31');
  });

  it('never lends more than 5: an AAA reader asking for 8 takes 5', () => {
    const s = section(run.stdout, 'reader 5 ');
    expect(s).toContain('decision: granted, tier AAA, source platform');
    expect(s).toContain(
      "loan limit 5 books in all (信易阅, library.loan-limit.aaa; the library's base is 2)",
    );
    expect(s).toContain('lends 5 of 8 book(s) asked for, due 2026-11-30 (Monday)');
    expect(s).toContain('信易阅：本次可借 5 册');
    for (const limit of run.stdout.matchAll(/本次可借 (\d+) 册/g))
      expect(Number(limit[1])).toBeLessThanOrEqual(5);
  });

  it('gives a B reader the base, moved off 国庆节 to the next open day', () => {
    const s = section(run.stdout, 'reader 3 ');
    expect(s).toContain('decision: denied, tier B');
    expect(s).toContain("loan limit 2 books (the library's base)");
    expect(s).toContain('2026-10-01 is 国庆节, the library is closed: due the next open day');
    expect(s).toContain('lends 2 of 3 book(s) asked for, due 2026-10-08 (Thursday)');
    expect(s).toContain('暂不符合信用优惠条件');
  });

  it('serves a reader the platform does not know with the base values, never less', () => {
    const s = section(run.stdout, 'reader 4 ');
    expect(s).toContain('decision: unavailable, tier unknown, source none');
    expect(s).toContain("loan period 30 days (the library's base)");
    expect(s).toContain('due 2026-10-08 (Thursday)');
    expect(run.stdout).toContain('journal: 5 decisions, 6 uses confirmed');
  });

  it('prints no ID number or name, only masked forms', () => {
    expect(run.stdout).toMatch(/reader 1 \d\*{16}[\dX]\n/);
    expectNoPersonalData(run.stdout, people);
    expect(run.stdout).not.toContain(newcomerId.slice(1, 17));
  });
});
