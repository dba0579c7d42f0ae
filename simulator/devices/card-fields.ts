// The card a synthetic person of the simulator's population carries, field by field: what the virtual
// ID-card reader puts on its SAM text (GA/T 490 layouts of docs/protocols.md §1.8 and §1.10).
import type { HkMacaoTaiwanCardFields, ResidentCardFields } from '../../adapters/id-card/index.js';
import { SYNTHETIC_REGIONS, type SyntheticPerson } from '../population.js';
import { createRng, type Rng } from '../prng.js';

const QINGZHOU = '370781';
const STREETS = ['人民路', '解放路', '建设路', '和平路', '文化路', '中山路', '胜利街', '新华路', '青年路'];
const QINGZHOU_STREETS = ['云门山路', '范公亭路', '驼山路', '海岱路', '昭德路', '益都路', '玲珑山路'];
const OTHER_NATIONS = ['02', '03', '04', '06', '08', '11', '15'];

/**
 * The card a synthetic person would carry: a resident ID card (GA/T 490, §1.8) or, when the number
 * starts with 81/82/83, a Hong Kong / Macao / Taiwan residence permit (`J`, §1.10). Fields the
 * population does not hold (nation, address, issuing authority, validity, pass number) are drawn
 * deterministically from the person's number, so the same person always gets the same card.
 */
export function cardFieldsForPerson(person: SyntheticPerson): ResidentCardFields | HkMacaoTaiwanCardFields {
  const rng = createRng(`card:${person.idNumber}`);
  const genderCode = person.gender === 'male' ? '1' : '2';
  const birthYear = Number(person.birthDate.slice(0, 4));
  const prefix = person.idNumber.slice(0, 2);
  if (prefix === '81' || prefix === '82' || prefix === '83') {
    // Residence permits exist since 2018-09 and are valid for five years; the address and issuer
    // are those of the holder's mainland residence.
    const from = drawIssueDate(rng, Math.max(2019, birthYear + 1), 2024);
    const home = regionParts(QINGZHOU);
    const passNumber =
      prefix === '81' ? `H${digits(rng, 8)}` : prefix === '82' ? `M${digits(rng, 8)}` : digits(rng, 8);
    return {
      cardType: 'hk-macao-taiwan',
      name: person.name,
      genderCode,
      birthDate: person.birthDate,
      idNumber: person.idNumber,
      address: drawAddress(rng, QINGZHOU, home.name),
      issuingAuthority: home.authority,
      validFrom: from.iso,
      validUntil: addYears(from, 5),
      passNumber,
      issueCount: String(rng.int(1, 3)).padStart(2, '0'),
    };
  }
  const regionCode = person.idNumber.slice(0, 6);
  const region = regionParts(regionCode);
  const from = drawIssueDate(rng, Math.max(2016, birthYear + 1), 2024);
  // Resident Identity Card Law art. 5: valid 5 years under 16, 10 years at 16–25, 20 years at
  // 26–45, long-term from 46.
  const age = from.year - birthYear;
  const term = age < 16 ? 5 : age <= 25 ? 10 : age <= 45 ? 20 : undefined;
  return {
    cardType: 'resident',
    name: person.name,
    genderCode,
    nationCode: rng.chance(0.9) ? '01' : rng.pick(OTHER_NATIONS),
    birthDate: person.birthDate,
    address: drawAddress(rng, regionCode, region.name),
    idNumber: person.idNumber,
    issuingAuthority: region.authority,
    validFrom: from.iso,
    validUntil: term === undefined ? null : addYears(from, term),
    longTerm: term === undefined,
  };
}

interface IssueDate {
  year: number;
  iso: string;
}

function drawIssueDate(rng: Rng, fromYear: number, toYear: number): IssueDate {
  const year = rng.int(fromYear, Math.max(fromYear, toYear));
  // Day ≤ 28 so that the same day exists in the expiry year.
  const iso = `${year}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`;
  return { year, iso };
}

function addYears(date: IssueDate, years: number): string {
  return `${date.year + years}${date.iso.slice(4)}`;
}

function digits(rng: Rng, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += String(rng.int(0, 9));
  return out;
}

function drawAddress(rng: Rng, regionCode: string, regionName: string): string {
  const street = rng.pick(regionCode === QINGZHOU ? QINGZHOU_STREETS : STREETS);
  return `${regionName}${street}${rng.int(1, 299)}号${rng.int(1, 30)}号楼${rng.int(1, 6)}单元${rng.int(101, 1802)}室`;
}

/** Address prefix and issuing authority (公安局 / 分局) for a region code of the synthetic population. */
function regionParts(regionCode: string): { name: string; authority: string } {
  const name = SYNTHETIC_REGIONS.find((r) => r.code === regionCode)?.name;
  if (name === undefined) return { name: '某省某市某区', authority: '某市公安局' };
  const m = /^(?:.+?省)?(.+?市)?(.+?(?:区|县|市))$/.exec(name);
  const city = m?.[1];
  const county = m?.[2];
  if (county === undefined) return { name, authority: `${name}公安局` };
  if (county.endsWith('区') && city !== undefined) {
    return { name, authority: `${city}公安局${county.replace(/新?区$/, '')}分局` };
  }
  return { name, authority: `${county}公安局` };
}
