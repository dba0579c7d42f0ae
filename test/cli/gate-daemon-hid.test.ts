// A HID scanner the daemon cannot open, as the operator reads it: the path and the reason in the log
// line, /health and /diagnostics, through the real node-hid (no hardware: no HID device is listed).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadNativeModule } from '../../adapters/native.js';
import { parseGateConfig } from '../../cli/gate/config.js';
import { type GateDaemon, startGateDaemon } from '../../cli/gate/daemon.js';
import { createJsonLogger } from '../../sdk/logger.js';

const nodeHid = await loadNativeModule('node-hid').then(
  () => true,
  () => false,
);
if (!nodeHid) console.warn('skipped: node-hid (an optional dependency) does not load here');

describe.skipIf(!nodeHid)('gate daemon: a HID scanner that cannot be opened', () => {
  let dir: string;
  let daemon: GateDaemon;
  let missing: string;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xinyi-daemon-hid-'));
    missing = join(dir, 'hidraw9');
    const config = parseGateConfig({
      terminalId: 'gate-hid-test',
      pseudonymKey: { value: 'hid-test-key-0123456789abcdef0123' },
      dataDir: join(dir, 'data'),
      devices: {
        gate: { protocol: 'aa-frame', link: { tcp: { host: '127.0.0.1', port: 1 } } },
        scanners: [{ type: 'hid', path: missing }],
      },
      http: { host: '127.0.0.1', port: 0 },
    });
    const logger = createJsonLogger({ write: (line) => lines.push(JSON.parse(line)) });
    daemon = await startGateDaemon({ config, baseDir: dir, logger });
  }, 30_000);

  afterAll(async () => {
    await daemon?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const diagnostics = async () =>
    (
      (await (await fetch(`${daemon.url}/diagnostics`)).json()) as {
        health: { deviceProblems: Record<string, Record<string, unknown>> };
      }
    ).health.deviceProblems['scanner-1'];

  it('names the path and ENOENT, then NOT_LISTED once something not a hidraw node is there; it keeps trying', async () => {
    await vi.waitFor(async () => expect(await diagnostics()).toBeDefined(), {
      timeout: 10_000,
      interval: 20,
    });
    expect(await diagnostics()).toMatchObject({
      code: 'DEVICE_NOT_FOUND',
      path: missing,
      reason: 'ENOENT',
      retrying: true,
      message: expect.stringContaining(`cannot open HID device ${missing}: it does not exist`),
    });
    const health = (await (await fetch(`${daemon.url}/health`)).json()) as {
      deviceProblems: Record<string, unknown>;
    };
    expect(health.deviceProblems['scanner-1']).toMatchObject({ path: missing, reason: 'ENOENT' });
    expect(lines.find((l) => l.msg === 'device not available yet' && l.device === 'scanner-1')).toMatchObject(
      {
        code: 'DEVICE_NOT_FOUND',
        path: missing,
        reason: 'ENOENT',
      },
    );

    // A plain file at the path: it exists, but node-hid lists no HID device there.
    writeFileSync(missing, '');
    await vi.waitFor(async () => expect((await diagnostics())?.reason).toBe('NOT_LISTED'), {
      timeout: 20_000,
      interval: 50,
    });
    expect(await diagnostics()).toMatchObject({ code: 'DEVICE_NOT_FOUND', path: missing, retrying: true });
  }, 30_000);
});
