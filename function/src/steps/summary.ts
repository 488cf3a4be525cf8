import type { InstanceReport } from '../instances.ts';

/**
 * One line on what a step found, from the reports alone (every number measured by a login):
 * "the pending password is set on 1 written instance(s) and reached 2 replica(s) in 3120 ms".
 */
export function summarise(reports: InstanceReport[], label: string): string {
  const count = (...outcomes: InstanceReport['outcome'][]) =>
    reports.filter((report) => outcomes.includes(report.outcome));
  const written = count('changed', 'unchanged', 'verified');
  const replicated = count('replicated');
  const awaiting = count('awaiting-reset');
  const parts = [
    `the ${label} password works on ${written.length + replicated.length} of ${reports.length} instance(s)`,
  ];
  if (replicated.length > 0) {
    const longest = Math.max(...replicated.map((report) => report.ms));
    parts.push(`${replicated.length} of them replicas or readers it reached within ${longest} ms`);
  }
  if (awaiting.length > 0) {
    parts.push(
      `${awaiting.length} new instance(s) await the application password reset (${awaiting
        .map((report) => report.instance)
        .join(', ')}): run "reset" on them once the rotation has finished`,
    );
  }
  return parts.join('; ');
}
