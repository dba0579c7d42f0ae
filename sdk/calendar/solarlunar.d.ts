// solarlunar 3.1.0 ships `solarlunar.d.ts` but its package.json "exports" do not point at it, so
// TypeScript cannot find it under NodeNext resolution: the part this package uses, declared here.
declare module 'solarlunar' {
  interface SolarLunarDate {
    cYear: number;
    cMonth: number;
    cDay: number;
    lYear: number;
    lMonth: number;
    lDay: number;
    isLeap: boolean;
  }
  const solarLunar: {
    /** The solar date of a lunar date (1900–2100), or -1 outside the tables. */
    lunar2solar(year: number, month: number, day: number, isLeapMonth?: boolean): SolarLunarDate | -1;
    /** Day of the month of the n-th (1 = 小寒) solar term of a Gregorian year, or -1 outside 1900–2100. */
    getTerm(year: number, n: number): number;
  };
  export default solarLunar;
}
