import { describe, expect, it } from 'vitest';
import { LogView, parseLogLine, wantsColour } from '../../scripts/logView.ts';

// Lines in the shapes the function prints them (function/src/logger.ts through Powertools), and as
// CloudWatch Logs and `aws logs tail` hand them back. Real lines from real invocations go through
// the view in test/client/rotate.test.ts (scripts/logs --function) and in the demo's --debug.
const common = {
  service: 'mysql-password-rotation',
  sampling_rate: 0,
  functionVersion: '0.1.0',
  gitCommit: '6f518e1880391437894ce5e487f104e7fdcf7bfe',
  requestId: 'c0ffee00-1111-4222-8333-444455556666',
  secret: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rotation/app1-secret-LdTLLs',
  token: 'fe6ee880-63d1-4a6d-8d07-6906945a15d5',
};
const line = (fields: Record<string, unknown>) => JSON.stringify({ ...fields, ...common });

const instanceFailed = line({
  level: 'ERROR',
  message: 'instance failed',
  timestamp: '2026-12-02T06:14:22.648Z',
  step: 'setSecret',
  phase: 'setSecret',
  instance: 'app1-db2',
  endpoint: 'app1-db2.aaaaaaaaaa.us-east-1.rds.amazonaws.com:43023',
  outcome: 'failed',
  attempts: 3,
  ms: 497,
  error: 'unreachable or busy: connect ECONNREFUSED 127.0.0.1:43023 [ECONNREFUSED]',
  errorKind: 'transient',
});

const stepSucceeded = line({
  level: 'INFO',
  message: 'rotation step succeeded',
  timestamp: '2026-12-02T06:14:08.090Z',
  step: 'setSecret',
  ms: 2384,
  instances: [
    { instance: 'app1-db0', outcome: 'changed', attempts: 1, ms: 503 },
    { instance: 'app1-db1', outcome: 'changed', attempts: 1, ms: 420 },
    { instance: 'app1-db2', outcome: 'unchanged', attempts: 1, ms: 99 },
  ],
});

const apiCall = line({
  level: 'DEBUG',
  message: 'calling UpdateSecretVersionStage',
  timestamp: '2026-12-02T06:14:10.021Z',
  step: 'finishSecret',
  api: 'UpdateSecretVersionStage',
  stage: 'AWSCURRENT',
  moveTo: 'fe6ee880-63d1-4a6d-8d07-6906945a15d5',
  removeFrom: '84020fc8-813e-42bb-a35c-693357e66f0e',
});

const invocationFailed = line({
  level: 'ERROR',
  message: 'invocation failed',
  timestamp: '2026-12-02T06:14:23.155Z',
  step: 'setSecret',
  ms: 1245,
  errorName: 'RotationError',
  error: 'setSecret failed on app1-db2: unreachable or busy. AWSPENDING was removed',
});

const view = () => new LogView({ colour: false });

describe('the log view', () => {
  it('shows one line per event: time, level, step, instance, message, figures, the error last', () => {
    expect(view().format(instanceFailed)).toBe(
      '06:14:22.648  ERROR   setSecret     app1-db2  instance failed  outcome=failed  3 attempts  497 ms  ' +
        'errorKind=transient  error: unreachable or busy: connect ECONNREFUSED 127.0.0.1:43023 [ECONNREFUSED]',
    );
  });

  it('counts instance reports by outcome and leaves out what every line repeats', () => {
    const shown = view().format(stepSucceeded);

    expect(shown).toBe(
      '06:14:08.090  INFO    setSecret     rotation step succeeded  2384 ms  3 instances: 2 changed, 1 unchanged',
    );
    for (const repeated of [
      common.secret,
      common.gitCommit,
      common.requestId,
      common.token,
      'sampling_rate',
    ]) {
      expect(shown).not.toContain(repeated);
    }
  });

  it('shortens version ids and leaves out the API name the message already gives', () => {
    expect(view().format(apiCall)).toBe(
      '06:14:10.021  DEBUG   finishSecret  calling UpdateSecretVersionStage  stage=AWSCURRENT  moveTo=fe6ee880  removeFrom=84020fc8',
    );
  });

  it('names the error class of a failed invocation', () => {
    expect(view().format(invocationFailed)).toMatch(
      / invocation failed {2}1245 ms {2}error: RotationError: setSecret failed on app1-db2: unreachable or busy\. AWSPENDING was removed$/,
    );
  });

  it('lines messages up once an instance column exists', () => {
    const v = view();

    const lines = [stepSucceeded, instanceFailed, invocationFailed].map((l) => v.format(l));

    expect(lines[1]?.indexOf('instance failed')).toBe(lines[2]?.indexOf('invocation failed'));
  });

  it('shows a manual action where a step would be', () => {
    const reset = line({
      level: 'INFO',
      message: 'reset succeeded',
      timestamp: '2026-12-02T06:14:14.454Z',
      action: 'reset',
      summary: '1 changed (from provision)',
      dryRun: false,
    });

    expect(view().format(reset)).toBe(
      '06:14:14.454  INFO    reset         reset succeeded  "1 changed (from provision)"',
    );
  });

  it('reads lines as CloudWatch and the AWS CLI hand them back', () => {
    const tabbed = `2026-12-02T06:14:22.648Z\tc0ffee00-1111-4222-8333-444455556666\tERROR\t${instanceFailed}`;
    const tailed = `2026-12-02T06:14:22.648000+00:00 2026/12/02/[1]abcdef ${instanceFailed}`;

    expect(view().format(tabbed)).toBe(view().format(instanceFailed));
    expect(view().format(tailed)).toBe(view().format(instanceFailed));
  });

  it("shows Lambda's own lines, in its JSON and its text format, with their figures", () => {
    const report = JSON.stringify({
      time: '2026-12-02T06:14:23.200Z',
      type: 'platform.report',
      record: {
        requestId: 'c0ffee00',
        metrics: {
          durationMs: 1245.67,
          billedDurationMs: 1246,
          memorySizeMB: 256,
          maxMemoryUsedMB: 96,
          initDurationMs: 412.3,
        },
        status: 'error',
      },
    });
    const textReport =
      'REPORT RequestId: c0ffee00\tDuration: 1245.67 ms\tBilled Duration: 1246 ms\tMemory Size: 256 MB\tMax Memory Used: 96 MB\tInit Duration: 412.30 ms';

    expect(view().format(report)).toBe(
      '06:14:23.200  LAMBDA                report  1246 ms  max memory 96 MB  init 412 ms  status error',
    );
    expect(view().format(textReport, Date.parse('2026-12-02T06:14:23.200Z'))).toBe(
      '06:14:23.200  LAMBDA                report  1246 ms  max memory 96 MB  init 412 ms',
    );
  });

  it('shows any other line as it came, with the event time when there is one', () => {
    expect(view().format('Error: Cannot find module index.mjs', Date.parse('2026-12-02T06:00:00.000Z'))).toBe(
      '06:00:00.000  Error: Cannot find module index.mjs',
    );
    expect(view().format('{"half": ')).toBe('{"half":');
  });

  it('writes the date before the first event and when the day changes, when asked to', () => {
    const v = new LogView({ colour: false, dates: true });
    const late = line({ level: 'INFO', message: 'a', timestamp: '2026-12-02T23:59:59.999Z' });
    const early = line({ level: 'INFO', message: 'b', timestamp: '2026-12-03T00:00:00.000Z' });

    const shown = [late, late, early].map((l) => v.format(l)).join('\n');

    expect(shown.split('\n').filter((l) => l.startsWith('--'))).toEqual([
      '-- 2026-12-02 (times in UTC)',
      '-- 2026-12-03 (times in UTC)',
    ]);
  });

  it('colours errors red and dims debug lines only when asked to', () => {
    const coloured = new LogView({ colour: true });

    expect(coloured.format(instanceFailed)).toContain('\x1b[31mERROR \x1b[39m');
    expect(coloured.format(instanceFailed)).toContain('\x1b[31merror: unreachable or busy');
    expect(coloured.format(apiCall)).toContain('\x1b[2mcalling UpdateSecretVersionStage\x1b[22m');
    expect(view().format(instanceFailed)).not.toContain('\x1b[');
  });

  it('parses the fields a reader filters on', () => {
    expect(parseLogLine(instanceFailed)).toMatchObject({
      level: 'ERROR',
      where: 'setSecret',
      instance: 'app1-db2',
      token: common.token,
      requestId: common.requestId,
      time: Date.parse('2026-12-02T06:14:22.648Z'),
    });
  });
});

describe('colour', () => {
  it('is for terminals, and never with NO_COLOR set', () => {
    expect(wantsColour({ isTTY: true }, {})).toBe(true);
    expect(wantsColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(wantsColour({ isTTY: false }, {})).toBe(false);
    expect(wantsColour({}, {})).toBe(false);
  });
});
