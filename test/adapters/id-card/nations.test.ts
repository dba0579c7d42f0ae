import { describe, expect, it } from 'vitest';
import { NATIONS, nationName } from '../../../adapters/id-card/index.js';

// docs/protocols.md §1.9, GB 3304 as used on the ID card (56 nations + 97 + 98).
const TABLE: Array<[string, string, string | undefined]> = [
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
  ['97', '其他', undefined],
  ['98', '外国血统中国籍人士', undefined],
];

describe('nation table (§1.9)', () => {
  it('has exactly 58 entries: 01–56, 97, 98', () => {
    expect(NATIONS.size).toBe(58);
    expect([...NATIONS.keys()]).toEqual(TABLE.map(([code]) => code));
  });

  it.each(TABLE)('%s → %s (%s)', (code, name, roman) => {
    expect(nationName(code)).toBe(name);
    expect(NATIONS.get(code)).toEqual(roman === undefined ? { code, name } : { code, name, roman });
  });

  it('uses the ID-card codes 97/98, not the 57/58 of some public lists, and spells 46 德昂', () => {
    expect(nationName('57')).toBeUndefined();
    expect(nationName('58')).toBeUndefined();
    expect(nationName('00')).toBeUndefined();
    expect(nationName('1')).toBeUndefined();
    expect(nationName('46')).not.toBe('德昴');
  });
});
