// GB 3304 nation codes as printed on the resident ID card: docs/protocols.md §1.9.
// 97/98 are the ID-card values for "other" and "Chinese citizen of foreign origin"; some public
// lists use 57/58 instead, which is wrong for the card (§1.9 pitfalls). 46 is 德昂 (not 德昴).

/** A GB 3304 nation entry. */
export interface Nation {
  /** Two-digit code as stored in the card text, e.g. `'01'`. */
  code: string;
  /** Chinese name without the 族 suffix, as card readers print it, e.g. `'汉'`. */
  name: string;
  /** GB 3304 roman letter code, e.g. `'HA'`; absent for 97 and 98. */
  roman?: string;
}

const ROWS: ReadonlyArray<readonly [string, string, string?]> = [
  ['01', '汉', 'HA'],
  ['02', '蒙古', 'MG'],
  ['03', '回', 'HU'],
  ['04', '藏', 'ZA'],
  ['05', '维吾尔', 'UG'],
  ['06', '苗', 'MH'],
  ['07', '彝', 'YI'],
  ['08', '壮', 'ZH'],
  ['09', '布依', 'BY'],
  ['10', '朝鲜', 'CS'],
  ['11', '满', 'MA'],
  ['12', '侗', 'DO'],
  ['13', '瑶', 'YA'],
  ['14', '白', 'BA'],
  ['15', '土家', 'TJ'],
  ['16', '哈尼', 'HN'],
  ['17', '哈萨克', 'KZ'],
  ['18', '傣', 'DA'],
  ['19', '黎', 'LI'],
  ['20', '傈僳', 'LS'],
  ['21', '佤', 'VA'],
  ['22', '畲', 'SH'],
  ['23', '高山', 'GS'],
  ['24', '拉祜', 'LH'],
  ['25', '水', 'SU'],
  ['26', '东乡', 'DX'],
  ['27', '纳西', 'NX'],
  ['28', '景颇', 'JP'],
  ['29', '柯尔克孜', 'KG'],
  ['30', '土', 'TU'],
  ['31', '达斡尔', 'DU'],
  ['32', '仫佬', 'ML'],
  ['33', '羌', 'QI'],
  ['34', '布朗', 'BL'],
  ['35', '撒拉', 'SL'],
  ['36', '毛南', 'MN'],
  ['37', '仡佬', 'GL'],
  ['38', '锡伯', 'XB'],
  ['39', '阿昌', 'AC'],
  ['40', '普米', 'PM'],
  ['41', '塔吉克', 'TA'],
  ['42', '怒', 'NU'],
  ['43', '乌孜别克', 'UZ'],
  ['44', '俄罗斯', 'RS'],
  ['45', '鄂温克', 'EW'],
  ['46', '德昂', 'DE'],
  ['47', '保安', 'BN'],
  ['48', '裕固', 'YG'],
  ['49', '京', 'GI'],
  ['50', '塔塔尔', 'TT'],
  ['51', '独龙', 'DR'],
  ['52', '鄂伦春', 'OR'],
  ['53', '赫哲', 'HZ'],
  ['54', '门巴', 'MB'],
  ['55', '珞巴', 'LB'],
  ['56', '基诺', 'JN'],
  ['97', '其他'],
  ['98', '外国血统中国籍人士'],
];

/** All 58 nation entries (01–56, 97, 98), keyed by two-digit code. */
export const NATIONS: ReadonlyMap<string, Readonly<Nation>> = new Map(
  ROWS.map(([code, name, roman]) => [
    code,
    Object.freeze(roman === undefined ? { code, name } : { code, name, roman }),
  ]),
);

/** The Chinese name for a two-digit nation code (`'01'` → `'汉'`), or `undefined` if not in GB 3304. */
export function nationName(code: string): string | undefined {
  return NATIONS.get(code)?.name;
}
