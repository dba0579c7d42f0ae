// The synthetic camera frames the decoder tests and bench rely on (simulator/camera).
import { describe, expect, it } from 'vitest';
import { validateCameraFrame } from '../../../adapters/camera/index.js';
import { isXinyiError } from '../../../sdk/errors.js';
import {
  CAMERA_FRAME_VARIANTS,
  generateCameraCorpus,
  generateCameraFrame,
  syntheticCreditCodeText,
} from '../../../simulator/camera/index.js';

describe('camera frame generator', () => {
  it('makes a credit code of the real size: QZ1: + Base45, 306 characters, QR version 10', async () => {
    const text = syntheticCreditCodeText('size');
    expect(text).toHaveLength(306);
    expect(text).toMatch(/^QZ1:[0-9A-Z $%*+\-./:]+$/);
    const generated = await generateCameraFrame({ seed: 'size', width: 640, height: 480 });
    expect(generated.payload).toBe(text);
    expect(generated.modules).toBe(57);
  });

  it('is deterministic per seed and differs between seeds', async () => {
    const spec = { width: 320, height: 240, variant: 'rot10' as const };
    const a = await generateCameraFrame({ seed: 1, ...spec });
    const b = await generateCameraFrame({ seed: 1, ...spec });
    const c = await generateCameraFrame({ seed: 2, ...spec });
    expect(Buffer.from(a.frame.data).equals(Buffer.from(b.frame.data))).toBe(true);
    expect(Buffer.from(a.frame.data).equals(Buffer.from(c.frame.data))).toBe(false);
    expect(a.payload).not.toBe(c.payload);
  });

  it('draws every variant as a well-formed gray or RGBA frame', async () => {
    for (const variant of CAMERA_FRAME_VARIANTS) {
      const generated = await generateCameraFrame({
        seed: 'v',
        width: 160,
        height: 120,
        variant,
        modulePx: 1.5,
      });
      validateCameraFrame(generated.frame);
      expect(generated.frame.format).toBe('gray');
      expect(generated.payload === null).toBe(variant.startsWith('empty'));
    }
    const rgba = await generateCameraFrame({ seed: 'v', width: 160, height: 120, format: 'rgba' });
    validateCameraFrame(rgba.frame);
    expect(rgba.frame.data.length).toBe(160 * 120 * 4);
  });

  it('uses the requested module pitch, rotation and 1D payloads with valid check digits', async () => {
    const generated = await generateCameraFrame({
      seed: 'pitch',
      width: 640,
      height: 480,
      code: 'ean-13',
      modulePx: 2.5,
      rotationDeg: 90,
    });
    expect(generated).toMatchObject({ code: 'ean-13', modulePx: 2.5, modules: 95, rotationDeg: 90 });
    const digits = [...generated.payload!].map(Number);
    const sum = digits.slice(0, 12).reduce((acc, d, i) => acc + d * (i % 2 === 0 ? 1 : 3), 0);
    expect((10 - (sum % 10)) % 10).toBe(digits[12]);
  });

  it('keeps one payload per instance across the variants of a corpus', async () => {
    const payloads = new Map<string, Set<string>>();
    for await (const generated of generateCameraCorpus({
      seed: 'corpus',
      width: 160,
      height: 120,
      instances: 2,
      variants: ['clean', 'rot45', 'empty-flat'],
    })) {
      if (generated.payload === null) continue;
      const set = payloads.get(generated.variant) ?? new Set();
      set.add(generated.payload);
      payloads.set(generated.variant, set);
    }
    expect([...payloads.get('clean')!]).toEqual([...payloads.get('rot45')!]);
    expect(payloads.get('clean')!.size).toBe(2);
  });

  it('rejects impossible specs with INVALID_ARGUMENT', async () => {
    for (const spec of [
      { width: 10, height: 10 },
      { width: 640, height: 480, modulePx: 0 },
      { width: 640, height: 480, variant: 'sepia' as 'clean' },
    ]) {
      await expect(generateCameraFrame({ seed: 1, ...spec })).rejects.toSatisfy((error) =>
        isXinyiError(error, 'INVALID_ARGUMENT'),
      );
    }
  });
});
