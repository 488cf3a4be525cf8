import { UsageError } from '../cli/commandLine.ts';

/** The alias the module gives manual actions; the function refuses them through `rotation`. */
export const MANUAL_ALIAS = 'manual';

export interface FunctionTarget {
  /** As the user gave it: a name, a partial or full ARN, with or without a qualifier. */
  given: string;
  /** The function's name alone, which also names its log group. */
  name: string;
  /** The alias or version given, if any. */
  qualifier: string | undefined;
}

const NAME = '[A-Za-z0-9_-]{1,64}';
const QUALIFIER = '(?:\\$LATEST|[A-Za-z0-9_-]{1,128})';
const SHAPES = [
  new RegExp(`^(${NAME})(?::(${QUALIFIER}))?$`),
  new RegExp(`^\\d{12}:function:(${NAME})(?::(${QUALIFIER}))?$`),
  new RegExp(`^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\\d{12}:function:(${NAME})(?::(${QUALIFIER}))?$`),
];

/** Reads a function name or ARN as Lambda's Invoke takes it; throws UsageError for anything else. */
export function parseTarget(given: string): FunctionTarget {
  for (const shape of SHAPES) {
    const match = shape.exec(given);
    if (match) return { given, name: match[1] as string, qualifier: match[2] };
  }
  throw new UsageError(
    `"${given}" is not a Lambda function name or ARN (name, name:alias, or arn:aws:lambda:REGION:ACCOUNT:function:NAME[:ALIAS])`,
  );
}

/** Invoke's FunctionName and Qualifier: the manual alias unless the caller named one. */
export function invocationOf(target: FunctionTarget): { FunctionName: string; Qualifier?: string } {
  return target.qualifier === undefined
    ? { FunctionName: target.given, Qualifier: MANUAL_ALIAS }
    : { FunctionName: target.given };
}

/** The log group Lambda writes the function's lines to unless its logging configuration says otherwise. */
export function defaultLogGroup(target: FunctionTarget): string {
  return `/aws/lambda/${target.name}`;
}

/** The function name in a Lambda ARN (the secret's RotationLambdaARN), or undefined. */
export function functionNameOfArn(arn: string): string | undefined {
  return /:function:([A-Za-z0-9_-]+)/.exec(arn)?.[1];
}
