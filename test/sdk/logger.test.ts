import { describe, expect, it } from 'vitest';
import { checkDigit, isValidResidentIdNumber } from '../../sdk/identity/index.js';
import { createJsonLogger, type LogLevel } from '../../sdk/logger.js';
import { generatePopulation } from '../../simulator/population.js';

// Synthetic people only: valid-checksum numbers that describe no one.
const people = generatePopulation(3, 'logger-test');
const [alice, bob, carol] = people as [
  (typeof people)[number],
  (typeof people)[number],
  (typeof people)[number],
];

function capture(options: { level?: LogLevel; base?: Record<string, unknown> } = {}) {
  const chunks: string[] = [];
  const logger = createJsonLogger({ ...options, write: (line) => void chunks.push(line) });
  const records = () => {
    const text = chunks.join('');
    if (text === '') return [];
    expect(text.endsWith('\n')).toBe(true);
    return text
      .slice(0, -1)
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  return { logger, chunks, records };
}

describe('createJsonLogger', () => {
  it('writes one JSON object per line with level, time, fields and msg', () => {
    const { logger, chunks, records } = capture();
    logger.info({ decisionId: 'd-1', latencyMs: 1.25 }, 'decision');
    logger.warn({ code: 'CREDIT_TIMEOUT' });
    expect(chunks).toHaveLength(2);
    for (const chunk of chunks) {
      expect(chunk.endsWith('\n')).toBe(true);
      expect(chunk.indexOf('\n')).toBe(chunk.length - 1);
    }
    const [first, second] = records() as [Record<string, unknown>, Record<string, unknown>];
    expect(first).toMatchObject({ level: 'info', decisionId: 'd-1', latencyMs: 1.25, msg: 'decision' });
    expect(Number.isFinite(Date.parse(first.time as string))).toBe(true);
    expect(second).toMatchObject({ level: 'warn', code: 'CREDIT_TIMEOUT' });
    expect(second).not.toHaveProperty('msg');
  });

  it('keeps a newline inside a field on the same line', () => {
    const { chunks, logger, records } = capture();
    logger.error({ err: 'first line\nsecond line' }, 'multi\nline');
    expect(chunks[0]!.split('\n')).toHaveLength(2);
    expect(records()[0]).toMatchObject({ err: 'first line\nsecond line', msg: 'multi\nline' });
  });

  it.each<[LogLevel, string[]]>([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
  ])('at level %s writes %j', (level, expected) => {
    const { logger, records } = capture({ level });
    logger.debug({}, 'd');
    logger.info({}, 'i');
    logger.warn({}, 'w');
    logger.error({}, 'e');
    expect(records().map((r) => r.level)).toEqual(expected);
  });

  it('defaults to info', () => {
    const { logger, records } = capture();
    logger.debug({}, 'hidden');
    logger.info({}, 'shown');
    expect(records().map((r) => r.msg)).toEqual(['shown']);
  });

  it('adds the base fields to every line; a call can override them', () => {
    const { logger, records } = capture({ base: { service: 'xinyi-gate', terminalId: 'gate-01' } });
    logger.info({ decisionId: 'a' });
    logger.warn({ terminalId: 'gate-02' });
    expect(records()).toEqual([
      expect.objectContaining({ service: 'xinyi-gate', terminalId: 'gate-01', decisionId: 'a' }),
      expect.objectContaining({ service: 'xinyi-gate', terminalId: 'gate-02' }),
    ]);
  });
});

describe('createJsonLogger: ID numbers are scrubbed', () => {
  it('the synthetic numbers are valid 18-character resident ID numbers', () => {
    for (const p of [alice, bob, carol]) {
      expect(p.idNumber).toHaveLength(18);
      expect(isValidResidentIdNumber(p.idNumber)).toBe(true);
    }
  });

  it('replaces an ID number anywhere in a string field, in nested objects and in arrays', () => {
    const { logger, chunks, records } = capture();
    logger.warn(
      {
        idNumber: alice.idNumber,
        note: `card ${bob.idNumber} refused`,
        lower: carol.idNumber.toLowerCase(),
        nested: { reader: { lastCard: alice.idNumber, cards: [bob.idNumber, { again: carol.idNumber }] } },
        list: [`${alice.idNumber},${bob.idNumber}`],
      },
      'problem',
    );
    const text = chunks.join('');
    for (const p of [alice, bob, carol]) {
      expect(text).not.toContain(p.idNumber);
      expect(text).not.toContain(p.idNumber.toLowerCase());
    }
    expect(records()[0]).toMatchObject({
      idNumber: '[id-number]',
      note: 'card [id-number] refused',
      lower: '[id-number]',
      nested: { reader: { lastCard: '[id-number]', cards: ['[id-number]', { again: '[id-number]' }] } },
      list: ['[id-number],[id-number]'],
    });
  });

  it('scrubs the message too', () => {
    const { logger, chunks, records } = capture();
    logger.error({}, `could not read ${alice.idNumber}`);
    expect(chunks.join('')).not.toContain(alice.idNumber);
    expect(records()[0]!.msg).toBe('could not read [id-number]');
  });

  it('scrubs however deep the field is nested', () => {
    const { logger, chunks } = capture();
    let deep: Record<string, unknown> = { card: alice.idNumber };
    for (let i = 0; i < 12; i++) deep = { level: deep, list: [deep] };
    logger.info({ deep });
    expect(chunks.join('')).not.toContain(alice.idNumber);
  });

  it('does not fail on an object that refers to itself', () => {
    const { logger, chunks } = capture();
    const node: Record<string, unknown> = { card: bob.idNumber };
    node.self = node;
    expect(() => logger.info({ node }, 'still written')).not.toThrow();
    expect(chunks.join('')).not.toContain(bob.idNumber);
    expect(chunks.join('')).toContain('still written');
  });

  it('leaves ordinary numbers alone: times, epoch milliseconds, decision ids, counts', () => {
    const { logger, records } = capture();
    const fields = {
      atMs: 1_796_000_000_000,
      atMsText: '1796000000000',
      decisionId: '4f1c2a9e-0b7d-4c3e-9a51-123456789012',
      numericUuid: '12345678-1234-1234-1234-123456789012',
      at: '2026-11-26T10:00:00.000+08:00',
      sequence: '12345678901234', // 14 digits
      seventeen: '12345678901234567',
      nineteen: '1234567890123456789',
      memberCode: '2912345678905',
      bytes: 18,
    };
    logger.info({ ...fields, when: new Date(fields.atMs) }, 'ok');
    expect(records()[0]).toMatchObject({ ...fields, when: new Date(fields.atMs).toISOString() });
  });
});

/** The forms an ID number takes in text that reaches a log by accident, each with where it hides. */
describe('createJsonLogger: every form of an ID number, and names when given', () => {
  const id = alice.idNumber;
  const fullWidth = [...id]
    .map((ch) => (ch === 'X' ? 'Ｘ' : String.fromCharCode(ch.charCodeAt(0) - 0x30 + 0xff10)))
    .join('');
  const spaced = `${id.slice(0, 6)} ${id.slice(6, 14)} ${id.slice(14)}`;
  const dashed = `${id.slice(0, 6)}-${id.slice(6, 14)}-${id.slice(14)}`;
  const grouped4 = id.replace(/(.{4})(?=.)/g, '$1 ');
  // A foreign permanent-residence card: 2004 format (nationality + 12 digits) and 2023 format (18 digits, leading 9, valid check digit).
  const foreign2004 = 'USA110065021110';
  const foreign2023 = `93${id.slice(2, 17)}${checkDigit(`93${id.slice(2, 17)}`)}`;

  it.each<[string, string, (logger: ReturnType<typeof capture>['logger']) => void]>([
    ['alone', id, (l) => l.info({ note: `card ${id} read` })],
    ['glued to letters before', `ID${id}`, (l) => l.info({ note: `ID${id}` })],
    ['glued to letters after', `${id}abc`, (l) => l.info({ note: `${id}abc` })],
    ['glued on both sides', `x${id}y`, (l) => l.info({ note: `x${id}y` })],
    ['split by spaces', spaced, (l) => l.info({ note: `number ${spaced} typed` })],
    ['split by dashes', dashed, (l) => l.info({ note: dashed })],
    ['in groups of four', grouped4, (l) => l.info({ note: grouped4 })],
    ['in full-width digits', fullWidth, (l) => l.info({ note: `号码${fullWidth}。` })],
    ['as an object key', id, (l) => l.info({ seen: { [id]: 1 } })],
    ['as a key glued to letters', `k${id}`, (l) => l.info({ [`k${id}`]: true })],
    ['in the message', spaced, (l) => l.warn({}, `bad card ${spaced}`)],
    [
      'a 2004 foreign permanent-residence number',
      foreign2004,
      (l) => l.info({ note: `card ${foreign2004}` }),
    ],
    ['a 2023 foreign permanent-residence number', foreign2023, (l) => l.info({ note: `卡号${foreign2023}` })],
    ['a 2023 foreign number glued to letters', foreign2023, (l) => l.info({ note: `PR${foreign2023}z` })],
  ])('%s', (_form, raw, write) => {
    const { logger, chunks } = capture();
    write(logger);
    const line = chunks.join('');
    expect(line).toContain('[id-number]');
    expect(line).not.toContain(raw);
    expect(line.replace(/\D/g, '')).not.toContain(id.slice(0, 17));
  });

  it('leaves hashes, long counters and digit runs with a wrong check digit glued to letters alone', () => {
    const { logger, records } = capture();
    const badCheck = `${id.slice(0, 17)}${id.endsWith('0') ? '1' : '0'}`;
    const fields = {
      hash: `ab${badCheck}cd`,
      counter: '123456789012345678901234',
      phone: '+86 138 0013 8000',
      at: '2026-12-07T10:00:00.000+08:00',
    };
    logger.info(fields);
    expect(records()[0]).toMatchObject(fields);
  });

  it('scrubs the name forms the host gives it, in values, keys and the message', () => {
    const names = [bob.name, carol.name];
    const { chunks } = capture();
    const logger = createJsonLogger({ names: () => names, write: (line) => void chunks.push(line) });
    logger.info({ note: `visitor ${bob.name}`, [carol.name]: 'seen' }, `hello ${carol.name}`);
    const line = chunks.join('');
    expect(line).not.toContain(bob.name);
    expect(line).not.toContain(carol.name);
    expect(line.match(/\[name\]/g)).toHaveLength(3);
  });
});
