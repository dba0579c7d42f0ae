import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { XinyiErrorCode } from '../../sdk/errors.js';

const FILE = join(import.meta.dirname, '../../docs/serve-api.yaml');

describe('docs/serve-api.yaml', () => {
  it('is an OpenAPI 3.1 document the validator accepts', async () => {
    const result = await new Validator().validate(readFileSync(FILE, 'utf8'));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(parse(readFileSync(FILE, 'utf8')).openapi).toMatch(/^3\.1\./);
  });

  it('a broken copy is refused (the check can fail)', async () => {
    const doc = parse(readFileSync(FILE, 'utf8'));
    doc.paths['/v1/present'].post.responses['200'] = { content: {} };
    const result = await new Validator().validate(doc);
    expect(result.valid).toBe(false);
  });

  it('describes every path the service routes, and names real XinyiError codes', () => {
    const doc = parse(readFileSync(FILE, 'utf8'));
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/v1/decisions/{id}',
        '/v1/decisions/{id}/confirm-use',
        '/v1/decisions/{id}/override',
        '/v1/devices',
        '/v1/events',
        '/v1/health',
        '/v1/metrics',
        '/v1/present',
        '/v1/state',
      ].sort(),
    );
    const source = readFileSync(join(import.meta.dirname, '../../cli/serve/serve-api.ts'), 'utf8');
    for (const path of Object.keys(doc.paths)) {
      const literal = path.replace('/{id}', '');
      if (!path.includes('{id}')) expect(source).toContain(`'${literal}'`);
    }
    for (const code of doc.components.schemas.Error.properties.error.properties.code.examples) {
      expect(Object.values(XinyiErrorCode)).toContain(code);
    }
  });
});
