import { XinyiError, XinyiErrorCode } from '../../sdk/errors.js';
import { encodeSamCommand } from './sam-frame.js';

/** A CMD/PARA pair of the SAM host protocol. */
export interface SamCommandCode {
  readonly cmd: number;
  readonly para: number;
}

/**
 * The SAM commands (docs/protocols.md §1.4; every frame there recomputed in the tests).
 * Read order (§1.7): `findCard`, `selectCard`, then `readBase` or `readBaseWithFingerprint`,
 * optionally `readNewestAddress`; find and select precede every read.
 */
export const SamCommand = {
  /** 复位SAM. §1.4 — 0x10 0xFF (one public header's 0x01 0xFF is a typo). */
  resetSam: { cmd: 0x10, para: 0xff },
  /** SAM状态检测. §1.4 — 0x11 0xFF. */
  samStatus: { cmd: 0x11, para: 0xff },
  /** 读SAM管理信息 (SAM ID). §1.4 — 0x12 0xFF. */
  readSamId: { cmd: 0x12, para: 0xff },
  /** 寻找证/卡. §1.4 — 0x20 0x01; success is SW3 0x9F, "no card" is SW3 0x80. */
  findCard: { cmd: 0x20, para: 0x01 },
  /** 选取证/卡. §1.4 — 0x20 0x02; success is SW3 0x90. */
  selectCard: { cmd: 0x20, para: 0x02 },
  /** 读固定信息: 256-byte text + 1024-byte photo. §1.4 — 0x30 0x01. */
  readBase: { cmd: 0x30, para: 0x01 },
  /** 读最新追加住址. §1.4 — 0x30 0x03; SW3 0x91 when the card has none. */
  readNewestAddress: { cmd: 0x30, para: 0x03 },
  /** Text + photo + fingerprint. §1.4 — 0x30 0x10. */
  readBaseWithFingerprint: { cmd: 0x30, para: 0x10 },
  /** Set the UART baud rate; PARA from `SAM_BAUD_RATE_PARA`. §1.4 — 0x60. */
  setBaudRate: { cmd: 0x60, para: 0x00 },
  /** Set the max RF frame byte count, one data byte. §1.4 — 0x61 0xFF (⚠️ single source). */
  setMaxRfBytes: { cmd: 0x61, para: 0xff },
} as const satisfies Record<string, SamCommandCode>;

/** Name of a command in `SamCommand`. */
export type SamCommandName = keyof typeof SamCommand;

/** PARA of `SamCommand.setBaudRate` per baud rate (§1.4). The default after power-up is 115200 (§1.2). */
export const SAM_BAUD_RATE_PARA = {
  115200: 0x00,
  57600: 0x01,
  38400: 0x02,
  19200: 0x03,
  9600: 0x04,
} as const;

/** A baud rate the SAM module can be switched to. */
export type SamBaudRate = keyof typeof SAM_BAUD_RATE_PARA;

/** The default UART baud rate of a SAM module (§1.2, 8N1). */
export const SAM_DEFAULT_BAUD_RATE: SamBaudRate = 115200;

/** Encodes a parameterless command from `SamCommand` into a complete frame. */
export function encodeSamCommandByName(
  name: Exclude<SamCommandName, 'setBaudRate' | 'setMaxRfBytes'>,
): Buffer {
  const { cmd, para } = SamCommand[name];
  return encodeSamCommand(cmd, para);
}

/**
 * Encodes the set-baud-rate command, e.g. 9600 → `AA AA AA 96 69 00 03 60 04 67`.
 * @throws XinyiError `INVALID_ARGUMENT` for a rate the module does not support.
 */
export function encodeSetBaudRate(baudRate: SamBaudRate): Buffer {
  const para = (SAM_BAUD_RATE_PARA as Record<number, number>)[baudRate];
  if (para === undefined) {
    throw new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, 'unsupported SAM baud rate', {
      details: { argument: 'baudRate', baudRate },
    });
  }
  return encodeSamCommand(SamCommand.setBaudRate.cmd, para);
}

/**
 * Encodes the set-max-RF-frame-bytes command with its one data byte, e.g. 0x50 →
 * `AA AA AA 96 69 00 04 61 FF 50 CA`. ⚠️ Documented by a single source (§1.4).
 * @throws XinyiError `INVALID_ARGUMENT` when `maxBytes` is not a byte.
 */
export function encodeSetMaxRfBytes(maxBytes: number): Buffer {
  if (!Number.isInteger(maxBytes) || maxBytes < 0 || maxBytes > 0xff) {
    throw new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, 'maxBytes must be an integer 0..255', {
      details: { argument: 'maxBytes' },
    });
  }
  return encodeSamCommand(
    SamCommand.setMaxRfBytes.cmd,
    SamCommand.setMaxRfBytes.para,
    Uint8Array.of(maxBytes),
  );
}

/** Named SW3 values (§1.6). */
export const SamStatus = {
  SUCCESS: 0x90,
  NO_CONTENT: 0x91,
  FIND_CARD_SUCCESS: 0x9f,
  RX_CHECKSUM_ERROR: 0x10,
  RX_LENGTH_ERROR: 0x11,
  COMMAND_ERROR: 0x21,
  UNAUTHORIZED_OPERATION: 0x23,
  UNRECOGNIZED_ERROR: 0x24,
  CARD_AUTH_SAM_FAILED: 0x31,
  SAM_AUTH_CARD_FAILED: 0x32,
  INFO_VERIFY_ERROR: 0x33,
  UNRECOGNIZED_CARD_TYPE: 0x40,
  READ_CARD_FAILED: 0x41,
  GET_CHALLENGE_FAILED: 0x47,
  SAM_SELF_TEST_FAILED: 0x60,
  SAM_NOT_AUTHORIZED: 0x66,
  FIND_CARD_FAILED: 0x80,
  SELECT_CARD_FAILED: 0x81,
} as const;

/** Name of a known SW3 value. */
export type SamStatusName = keyof typeof SamStatus;

/** What an SW3 value means. */
export interface SamStatusInfo {
  /** The SW3 byte. */
  code: number;
  /** The `SamStatus` key, or `'UNKNOWN'` for a code the reference does not define. */
  name: SamStatusName | 'UNKNOWN';
  /** Meaning in Chinese, as the protocol documents word it. */
  zh: string;
  /** Meaning in English. */
  en: string;
  /** True for the success codes (0x90, 0x91 "no content", 0x9F "card found"). */
  ok: boolean;
  /**
   * True when retrying (re-polling find → select → read) is worthwhile: the card was absent,
   * moved or mis-read, or the command frame was damaged on the wire. False for SAM, authorisation,
   * authenticity and unknown faults, which a retry will not fix.
   */
  transient: boolean;
  /** False for a code no source defines (e.g. 0x34–0x37, ❓ in §1.6). */
  known: boolean;
}

type Row = Omit<SamStatusInfo, 'code' | 'name' | 'known'>;

// §1.6. `transient` is this SDK's classification: the reference calls 0x80 the normal "no card"
// reply when polling; 0x81/0x41/0x47 are RF-level failures of a card being placed or removed;
// 0x10/0x11 mean our own frame was damaged in transit, so resending it is the fix.
const ROWS: Record<SamStatusName, Row> = {
  SUCCESS: { zh: '操作成功', en: 'success', ok: true, transient: false },
  NO_CONTENT: {
    zh: '证/卡中此项无内容',
    en: 'the card has no content for this item',
    ok: true,
    transient: false,
  },
  FIND_CARD_SUCCESS: { zh: '寻找证/卡成功', en: 'card found', ok: true, transient: false },
  RX_CHECKSUM_ERROR: {
    zh: '接收业务终端数据的校验和错',
    en: 'checksum error in data received from the terminal',
    ok: false,
    transient: true,
  },
  RX_LENGTH_ERROR: {
    zh: '接收业务终端数据的长度错',
    en: 'length error in data received from the terminal',
    ok: false,
    transient: true,
  },
  COMMAND_ERROR: {
    zh: '接收业务终端的命令错误',
    en: 'command error (bad command, value or sequence)',
    ok: false,
    transient: false,
  },
  UNAUTHORIZED_OPERATION: { zh: '越权操作', en: 'unauthorized operation', ok: false, transient: false },
  UNRECOGNIZED_ERROR: { zh: '无法识别的错误', en: 'unrecognized error', ok: false, transient: false },
  CARD_AUTH_SAM_FAILED: {
    zh: '证/卡认证SAM失败',
    en: 'card failed to authenticate the SAM',
    ok: false,
    transient: false,
  },
  SAM_AUTH_CARD_FAILED: {
    zh: 'SAM认证证/卡失败',
    en: 'SAM failed to authenticate the card',
    ok: false,
    transient: false,
  },
  INFO_VERIFY_ERROR: {
    zh: '信息验证错误',
    en: 'information verification error',
    ok: false,
    transient: false,
  },
  UNRECOGNIZED_CARD_TYPE: {
    zh: '无法识别的卡类型',
    en: 'unrecognized card type',
    ok: false,
    transient: false,
  },
  READ_CARD_FAILED: { zh: '读证/卡操作失败', en: 'reading the card failed', ok: false, transient: true },
  GET_CHALLENGE_FAILED: { zh: '取随机数失败', en: 'get-challenge failed', ok: false, transient: true },
  SAM_SELF_TEST_FAILED: {
    zh: 'SAM自检失败，不能接收任何命令',
    en: 'SAM self-test failed; no command accepted',
    ok: false,
    transient: false,
  },
  SAM_NOT_AUTHORIZED: { zh: 'SAM未经授权，无法使用', en: 'SAM not authorized', ok: false, transient: false },
  FIND_CARD_FAILED: {
    zh: '寻找证/卡失败',
    en: 'find card failed (no card present)',
    ok: false,
    transient: true,
  },
  SELECT_CARD_FAILED: { zh: '选取证/卡失败', en: 'select card failed', ok: false, transient: true },
};

/** Every SW3 code the reference defines (§1.6), keyed by code. */
export const SAM_STATUS_TABLE: ReadonlyMap<number, Readonly<SamStatusInfo>> = new Map(
  (Object.keys(SamStatus) as SamStatusName[]).map((name) => [
    SamStatus[name],
    Object.freeze({ code: SamStatus[name], name, known: true, ...ROWS[name] }),
  ]),
);

/** Describes any SW3 byte; codes the reference does not define come back with `known: false`. */
export function describeSamStatus(sw3: number): Readonly<SamStatusInfo> {
  return (
    SAM_STATUS_TABLE.get(sw3) ?? {
      code: sw3,
      name: 'UNKNOWN',
      zh: '未定义的状态码',
      en: 'undefined status code',
      ok: false,
      transient: false,
      known: false,
    }
  );
}
