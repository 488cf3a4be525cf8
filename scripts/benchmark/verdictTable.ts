import type { BenchPlan } from './plan.ts';
import type { Results } from './statistics.ts';

export interface Verdict {
  metric: string;
  /** Where the number was measured: 'loopback', the simulated latency, or '' (no network involved). */
  network: string;
  value: string;
  target: string;
  /** null: not measured where the target applies (a smoke run), or no target. */
  met: boolean | null;
}

export interface Target<V> {
  /** As saved in the JSON: the limit and where it is judged (number of instances, parallelism). */
  limit: {
    min?: number;
    max?: number;
    equals?: number;
    instances?: number;
    parallel?: number;
    /** The application variant it judges (the others are measured for comparison). */
    variant?: string;
    /** What the limit counts in, when not a plain unit: `max: 1, of: 'refresh interval'`. */
    of?: string;
  };
  /** The limit as the table prints it. */
  text: string;
  holds(value: V): boolean;
}

type Where = Pick<Target<never>['limit'], 'instances' | 'parallel' | 'of'>;

export function atMost(max: number, unit: string, where: Where = {}): Target<number> {
  return { limit: { max, ...where }, text: `<= ${max}${unit}`, holds: (value) => value <= max };
}

export function below(max: number, unit: string, where: Where = {}): Target<number> {
  return { limit: { max, ...where }, text: `< ${max}${unit}`, holds: (value) => value < max };
}

export interface Judge<S> {
  text: string;
  /** null when `subject` was measured at another number of instances than the target's. */
  met(subject: S): boolean | null;
}

/** How `target` judges a line: the value it reads, and at how many instances the line was measured. */
export function judgedBy<S, V>(
  target: Target<V>,
  read: (subject: S) => V,
  instances?: (subject: NoInfer<S>) => number | undefined,
): Judge<S> {
  const where = target.limit.instances;
  return {
    text: target.text,
    met: (subject) =>
      where === undefined || instances?.(subject) === where ? target.holds(read(subject)) : null,
  };
}

/** How `target` judges a line about one application variant: only for the variant it names. */
export function judgedForVariant<S extends { variant: string }, V>(
  target: Target<V>,
  read: (subject: S) => V,
): Judge<S> {
  return {
    text: target.text,
    met: (subject) => (subject.variant === target.limit.variant ? target.holds(read(subject)) : null),
  };
}

/** One line of the table. */
export interface Line<S> {
  metric(subject: S): string;
  value(subject: S): string;
  judge?: Judge<S>;
}

export type Section = (results: Results, plan: BenchPlan) => Verdict[];

/**
 * Lines about each of `subjects`, measured on `network`. Lines repeated for several sizes show a
 * limit only on the size it judges; elsewhere it would read as if it applied there.
 */
export function section<S>(
  network: (plan: BenchPlan) => string,
  subjects: (results: Results) => S[],
  lines: Line<S>[],
  limitOnlyWhereJudged = false,
): Section {
  return (results, plan) =>
    subjects(results).flatMap((subject) =>
      lines.map((line) => {
        const met = line.judge?.met(subject) ?? null;
        const shown = line.judge !== undefined && (!limitOnlyWhereJudged || met !== null);
        return {
          metric: line.metric(subject),
          network: network(plan),
          value: line.value(subject),
          target: shown ? (line.judge?.text ?? '') : '',
          met,
        };
      }),
    );
}

export const loopback = () => 'loopback';
export const noNetwork = () => '';
