// Gate boards: AA frames, 7E/7F flap frames, Modbus RTU.
import fc from 'fast-check';
import {
  AA_CID1_COMMAND,
  AA_CID1_REPLY,
  AA_FRAME_BYTES,
  type AaFrame,
  AaFrameDecoder,
  decodeAaCommand,
  encodeAaCommand,
  encodeAaStatusReply,
  encodeBitsResponse,
  encodeExceptionResponse,
  encodeFlapCommand,
  encodeFlapReply,
  encodeModbusFrame,
  encodeReadCoils,
  encodeReadHoldingRegisters,
  encodeRegistersResponse,
  encodeWriteMultipleCoils,
  encodeWriteMultipleResponse,
  encodeWriteSingleCoil,
  encodeWriteSingleRegister,
  FLAP_COMMAND_BYTES,
  FLAP_REPLY_BYTES,
  type FlapChecksumRule,
  FlapCommandDecoder,
  FlapFrameDecoder,
  flapReplyToStatus,
  MODBUS_MAX_ADU_BYTES,
  ModbusRequestDecoder,
  ModbusResponseDecoder,
  parseAaStatusReply,
  parseModbusFrame,
  parseModbusRequest,
  parseModbusResponse,
} from '../../../adapters/gate/index.js';
import { isXinyiError } from '../../../sdk/errors.js';
import {
  byteStream,
  damaged,
  expectInteger,
  expectOneOf,
  expectTyped,
  type FuzzTarget,
  violation,
} from '../harness.js';
import {
  checkItems,
  expectBounded,
  expectByte,
  FRAME_ERRORS,
  runStream,
  type StreamRun,
} from '../stream-checks.js';

const aaFrames: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .record({
      action: fc.constantFrom(
        'entry-open',
        'entry-hold-open',
        'entry-close',
        'exit-open',
        'exit-hold-open',
        'exit-close',
        'query-status',
      ),
      count: fc.integer({ min: 0, max: 255 }),
      source: fc.integer({ min: 0, max: 255 }),
      destination: fc.integer({ min: 1, max: 255 }),
    })
    .map(({ action, count, source, destination }) =>
      encodeAaCommand(
        action === 'exit-open' ? { action, count } : ({ action } as Parameters<typeof encodeAaCommand>[0]),
        { source, destination },
      ),
    ),
  fc
    .record({
      stateCode: fc.integer({ min: 0, max: 255 }),
      entryCount: fc.integer({ min: 0, max: 2 ** 24 - 1 }),
      exitCount: fc.integer({ min: 0, max: 2 ** 24 - 1 }),
      source: fc.integer({ min: 0, max: 255 }),
    })
    .map(({ source, ...reply }) => encodeAaStatusReply(reply, { source })),
);

const GATE_STATES = ['closed', 'opening', 'open', 'closing', 'alarm', 'self-test', 'unknown'];

function checkGateStatus(status: Record<string, unknown>): void {
  expectOneOf(status.state, GATE_STATES, 'gate state');
  expectInteger(status.entryCount, 0, 2 ** 32, 'entryCount');
  expectInteger(status.exitCount, 0, 2 ** 32, 'exitCount');
  if (!Array.isArray(status.alarms)) violation('gate status alarms not an array');
}

export const aaFrame: FuzzTarget<Uint8Array[], StreamRun<AaFrame>> = {
  name: 'aa-frame-decoder',
  input: 'AA-frame byte stream both ways (commands, status replies, damaged, garbage, floods)',
  arbitrary: byteStream({ frames: aaFrames, special: [0xaa, 0x08, 0x02, 0x12, 0x00], maxFloodBytes: 200 }),
  codes: [...FRAME_ERRORS, 'INVALID_ARGUMENT'],
  run: (chunks) => runStream(new AaFrameDecoder(), chunks),
  check: (run) => {
    checkItems(run.items, 'AaFrameDecoder', (frame) => {
      for (const key of ['source', 'cid1', 'cid2', 'destination'] as const) expectByte(frame[key], key);
      if (!Buffer.isBuffer(frame.data) || frame.data.length !== 8) violation('AA frame data is not 8 bytes');
      // What the driver and the simulated board do with a frame.
      if (frame.cid1 === AA_CID1_REPLY) checkGateStatus(parseAaStatusReply(frame) as never);
      if (frame.cid1 === AA_CID1_COMMAND) decodeAaCommand(frame);
    });
    expectBounded(run, AA_FRAME_BYTES - 1, 'AaFrameDecoder');
  },
  ciRuns: 2000,
};

const flapRule = fc.constantFrom<FlapChecksumRule | undefined>(undefined, 'not-sum', 'sum', 'xor', 'none');

const flapReplyFrames = (rule: FlapChecksumRule | undefined) =>
  fc
    .record({
      version: fc.integer({ min: 0, max: 255 }),
      machine: fc.integer({ min: 0, max: 255 }),
      fault: fc.integer({ min: 0, max: 255 }),
      gateStatus: fc.integer({ min: 0, max: 255 }),
      alarm: fc.integer({ min: 0, max: 255 }),
      leftCount: fc.integer({ min: 0, max: 2 ** 24 - 1 }),
      rightCount: fc.integer({ min: 0, max: 2 ** 24 - 1 }),
      infrared: fc.integer({ min: 0, max: 255 }),
      cmdExec: fc.integer({ min: 0, max: 255 }),
      vcc: fc.integer({ min: 0, max: 255 }),
      u1: fc.integer({ min: 0, max: 255 }),
      u2: fc.integer({ min: 0, max: 255 }),
    })
    .map((reply) => encodeFlapReply(reply, rule === undefined ? {} : { replyChecksum: rule }));

export const flapReply: FuzzTarget<
  { rule: FlapChecksumRule | undefined; chunks: Uint8Array[] },
  StreamRun<object>
> = {
  name: 'flap-reply-decoder',
  input: '7F board → host replies (every checksum rule), damaged, garbage, floods',
  arbitrary: flapRule.chain((rule) =>
    fc.record({
      rule: fc.constant(rule),
      chunks: byteStream({
        frames: flapReplyFrames(rule),
        special: [0x7f, 0x7e, 0x00, 0xff],
        maxFloodBytes: 200,
      }),
    }),
  ),
  codes: [...FRAME_ERRORS, 'INVALID_OPTIONS'],
  run: ({ rule, chunks }) =>
    runStream(new FlapFrameDecoder(rule === undefined ? {} : { replyChecksum: rule }), chunks),
  check: (run) => {
    checkItems(run.items, 'FlapFrameDecoder', (reply) => {
      for (const [key, value] of Object.entries(reply as Record<string, number>))
        expectInteger(value, 0, 2 ** 24 - 1, `reply.${key}`);
      checkGateStatus(flapReplyToStatus(reply as never) as never);
    });
    expectBounded(run, FLAP_REPLY_BYTES - 1, 'FlapFrameDecoder');
  },
  ciRuns: 2000,
};

const flapCommandFrames = fc
  .tuple(
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
  )
  .map(([machine, cmd, d0, d1, d2]) => encodeFlapCommand(machine, cmd, d0, d1, d2));

export const flapCommand: FuzzTarget<Uint8Array[], StreamRun<object>> = {
  name: 'flap-command-decoder',
  input: '7E host → board commands (the simulated board side), damaged, garbage, floods',
  arbitrary: byteStream({ frames: flapCommandFrames, special: [0x7e, 0x7f, 0x00, 0xff], maxFloodBytes: 200 }),
  codes: FRAME_ERRORS,
  run: (chunks) => runStream(new FlapCommandDecoder(), chunks),
  check: (run) => {
    checkItems(run.items, 'FlapCommandDecoder', (command) => {
      for (const key of ['machine', 'cmd', 'd0', 'd1', 'd2'])
        expectByte((command as Record<string, number>)[key], `command.${key}`);
    });
    expectBounded(run, FLAP_COMMAND_BYTES - 1, 'FlapCommandDecoder');
  },
  ciRuns: 2000,
};

const unitId = fc.integer({ min: 0, max: 250 });
const address = fc.integer({ min: 0, max: 0xffff });
const modbusRequests: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .tuple(unitId, address, fc.integer({ min: 0, max: 2100 }))
    .map(([u, a, q]) => encodeModbusFrame(u, 1, Buffer.from([a >> 8, a & 0xff, q >> 8, q & 0xff]))),
  fc
    .tuple(unitId, fc.integer({ min: 0, max: 0xff00 }), fc.integer({ min: 1, max: 125 }))
    .map(([u, a, q]) => encodeReadHoldingRegisters(u, a, q)),
  fc
    .tuple(unitId, fc.integer({ min: 0, max: 0xf000 }), fc.integer({ min: 1, max: 2000 }))
    .map(([u, a, q]) => encodeReadCoils(u, a, q)),
  fc.tuple(unitId, address, fc.boolean()).map(([u, a, on]) => encodeWriteSingleCoil(u, a, on)),
  fc.tuple(unitId, address, address).map(([u, a, v]) => encodeWriteSingleRegister(u, a, v)),
  fc
    .tuple(
      unitId,
      fc.integer({ min: 0, max: 0xff00 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 80 }),
    )
    .map(([u, a, s]) => encodeWriteMultipleCoils(u, a, s)),
  fc
    .tuple(unitId, fc.integer({ min: 1, max: 0x7f }), fc.uint8Array({ maxLength: 20 }))
    .map(([u, f, d]) => encodeModbusFrame(u, f, d)),
);

const modbusResponses: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .tuple(
      fc.integer({ min: 1, max: 247 }),
      fc.constantFrom(1 as const, 2 as const),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }),
    )
    .map(([u, f, bits]) => encodeBitsResponse(u, f, bits)),
  fc
    .tuple(
      fc.integer({ min: 1, max: 247 }),
      fc.constantFrom(3 as const, 4 as const),
      fc.array(address, { minLength: 1, maxLength: 30 }),
    )
    .map(([u, f, values]) => encodeRegistersResponse(u, f, values)),
  fc
    .tuple(
      fc.integer({ min: 1, max: 247 }),
      fc.constantFrom(0x0f as const, 0x10 as const),
      address,
      fc.integer({ min: 1, max: 120 }),
    )
    .map(([u, f, a, q]) => encodeWriteMultipleResponse(u, f, Math.min(a, 0xffff - q), q)),
  fc
    .tuple(fc.integer({ min: 1, max: 247 }), address, fc.boolean())
    .map(([u, a, on]) => encodeWriteSingleCoil(u, a, on)),
  fc
    .tuple(
      fc.integer({ min: 1, max: 247 }),
      fc.constantFrom(1, 2, 3, 4, 5, 6, 15, 16),
      fc.integer({ min: 1, max: 11 }),
    )
    .map(([u, f, e]) => encodeExceptionResponse(u, f, e)),
);

type ModbusFrameLike = { unitId: number; functionCode: number; data: Buffer; bytes: Buffer };

function checkModbusFrame(frame: ModbusFrameLike): void {
  expectByte(frame.unitId, 'unitId');
  expectByte(frame.functionCode, 'functionCode');
  if (frame.bytes.length < 4 || frame.bytes.length > MODBUS_MAX_ADU_BYTES) violation('Modbus ADU length');
  if (frame.data.length !== frame.bytes.length - 4) violation('Modbus data length');
}

const modbusStream = (frames: fc.Arbitrary<Uint8Array>) =>
  fc.record({
    chunks: byteStream({
      frames,
      special: [0x01, 0x03, 0x05, 0x0f, 0x10, 0x83, 0xff, 0x00],
      maxFloodBytes: 600,
    }),
    whole: fc.oneof(frames, damaged(frames), fc.uint8Array({ maxLength: 300 })),
  });

export const modbusRequest: FuzzTarget<
  { chunks: Uint8Array[]; whole: Uint8Array },
  StreamRun<ModbusFrameLike>
> = {
  name: 'modbus-request-decoder',
  input: 'Modbus RTU requests (the simulated relay board side) in a noisy stream, and whole ADUs',
  arbitrary: modbusStream(modbusRequests),
  codes: [...FRAME_ERRORS, 'INVALID_ARGUMENT'],
  run: ({ chunks, whole }) => {
    const run = runStream(new ModbusRequestDecoder(), chunks);
    try {
      run.items.push(parseModbusFrame(whole));
    } catch (error) {
      expectTyped(error, FRAME_ERRORS, 'parseModbusFrame');
    }
    return run;
  },
  check: (run) => {
    checkItems(run.items, 'ModbusRequestDecoder', (frame) => {
      checkModbusFrame(frame);
      const request = parseModbusRequest(frame);
      if (typeof request.kind !== 'string') violation('request without a kind');
    });
    expectBounded(run, MODBUS_MAX_ADU_BYTES, 'ModbusRequestDecoder');
  },
  ciRuns: 1500,
};

export const modbusResponse: FuzzTarget<
  { chunks: Uint8Array[]; whole: Uint8Array },
  StreamRun<ModbusFrameLike>
> = {
  name: 'modbus-response-decoder',
  input: 'Modbus RTU replies and exceptions (the gate driver side) in a noisy stream, and whole ADUs',
  arbitrary: modbusStream(modbusResponses),
  codes: [...FRAME_ERRORS, 'INVALID_ARGUMENT', 'DEVICE_STATUS', 'GATE_COMMAND_FAILED'],
  run: ({ chunks, whole }) => {
    const run = runStream(new ModbusResponseDecoder(), chunks);
    try {
      run.items.push(parseModbusFrame(whole));
    } catch (error) {
      expectTyped(error, FRAME_ERRORS, 'parseModbusFrame');
    }
    for (const item of run.items) {
      if (isXinyiError(item)) continue;
      try {
        parseModbusResponse(item);
      } catch (error) {
        expectTyped(error, ['FRAME_LENGTH', 'DEVICE_STATUS', 'INVALID_ARGUMENT'], 'parseModbusResponse');
      }
    }
    return run;
  },
  check: (run) => {
    checkItems(run.items, 'ModbusResponseDecoder', checkModbusFrame);
    expectBounded(run, MODBUS_MAX_ADU_BYTES, 'ModbusResponseDecoder');
  },
  ciRuns: 1500,
};
