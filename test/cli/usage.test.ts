// The one line and exit code the CLI prints for work that failed (cli/usage.ts); the bin itself, run as a
// process, is tested in xinyi-help.e2e.test.ts.
import { describe, expect, it } from 'vitest';
import { describeFailure } from '../../cli/usage.js';
import { XinyiError } from '../../sdk/errors.js';

describe('describeFailure', () => {
  it('keeps only the first line of a message and names errors without a code', () => {
    const multi = new XinyiError('CONFIG_INVALID', 'gate.json: devices.gate is required\n  at line 3');
    expect(describeFailure(multi, 'gate')).toEqual({
      line: 'xinyi: CONFIG_INVALID: gate.json: devices.gate is required',
      exitCode: 1,
    });
    expect(describeFailure(new RangeError('bad'), 'demo')).toEqual({
      line: 'xinyi: RangeError: bad',
      exitCode: 1,
    });
  });
});
