/** The tables `scripts/invoke` prints for the function's answers to manual actions. */
import type {
  HealAnswer,
  StatusAnswer,
  VersionAnswer,
  WorkAnswer,
} from '../../function/src/actions/answers.ts';
import { textTable } from '../cli/table.ts';

/** A readable rendering of any action's answer; unknown shapes are printed as JSON. */
export function formatTable(answer: unknown): string {
  const action = (answer as { action?: unknown } | null)?.action;
  switch (action) {
    case 'version':
      return formatVersion(answer as VersionAnswer);
    case 'status':
      return formatStatus(answer as StatusAnswer);
    case 'verify':
    case 'reset':
    case 'heal':
      return formatWork(answer as WorkAnswer);
    default:
      return JSON.stringify(answer, null, 2);
  }
}

function formatVersion(answer: VersionAnswer): string {
  return textTable(['VERSION', 'COMMIT', 'BUILT'], [[answer.version, answer.commit, answer.buildTime]]);
}

function formatStatus(answer: StatusAnswer): string {
  const { rotation } = answer;
  const rules = [
    rotation.rules.automaticallyAfterDays !== null
      ? `every ${rotation.rules.automaticallyAfterDays} days`
      : '',
    rotation.rules.scheduleExpression ?? '',
    rotation.rules.duration !== null ? `window ${rotation.rules.duration}` : '',
  ].filter((part) => part !== '');
  const pending = answer.pending;
  const lines = [
    `status of ${answer.name}: ${answer.ok ? 'ok' : 'NEEDS ATTENTION'}`,
    `secret:        ${answer.secretId}`,
    `rotation:      ${rotation.enabled ? 'enabled' : 'DISABLED'}${rules.length > 0 ? ` (${rules.join(', ')})` : ''}`,
    `last rotated:  ${rotation.lastRotated ?? 'never'}`,
    `next rotation: ${rotation.nextRotation ?? 'none scheduled'}`,
    '',
    textTable(
      ['VERSION', 'LABELS', 'CREATED'],
      answer.versions.map((v) => [v.versionId, v.stages.join(',') || '-', v.created ?? 'unknown']),
    ),
    '',
    pending === null
      ? 'AWSPENDING:    none (no rotation in progress)'
      : `AWSPENDING:    version ${pending.versionId} is ${pending.stale ? 'STALE' : 'in progress'}: ${pending.rule}`,
    '',
    answer.instances.length === 0
      ? 'instances:     none discovered'
      : textTable(
          ['INSTANCE', 'ENDPOINT', 'RDS STATUS', 'ROTATION', 'NOTE'],
          answer.instances.map((i) => [i.instance, i.endpoint ?? '-', i.rdsStatus, i.outcome, i.note]),
        ),
  ];
  if (answer.attention.length > 0) {
    lines.push('', 'needs attention:', ...answer.attention.map((item) => `  - ${item}`));
  }
  return lines.join('\n');
}

function formatWork(answer: WorkAnswer): string {
  const lines = [
    `${answer.action}${answer.dryRun ? ' (dry run)' : ''} of ${answer.secretId}: ${answer.ok ? 'ok' : 'FAILED'}`,
    answer.message,
  ];
  if (answer.instances.length > 0) {
    lines.push(
      '',
      textTable(
        ['INSTANCE', 'ENDPOINT', 'OUTCOME', 'FROM', 'ATTEMPTS', 'MS', 'ERROR'],
        answer.instances.map((i) => [i.instance, i.endpoint, i.outcome, i.from, i.attempts, i.ms, i.error]),
      ),
    );
  }
  if (answer.notIncluded.length > 0) {
    lines.push(
      '',
      'not included:',
      ...answer.notIncluded.map((i) => `  - ${i.instance} (${i.rdsStatus}): ${i.reason}`),
    );
  }
  const pending = (answer as HealAnswer).pending;
  if (answer.action === 'heal' && pending) {
    lines.push('', `AWSPENDING on version ${pending.versionId}: ${pending.label} (${pending.labelReason})`);
  }
  return lines.join('\n');
}
