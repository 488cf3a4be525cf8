// Policies taken from `terraform show -json` of a real plan, and an IAM policy simulator
// (@cloud-copilot/iam-simulate, AGPL: a test-only dependency, never in the bundle) to evaluate them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EvaluationResult, runSimulation } from '@cloud-copilot/iam-simulate';
import { terraform } from './terraform.ts';

export interface PlannedResource {
  address: string;
  values: Record<string, unknown>;
}

interface PlanModule {
  resources?: PlannedResource[];
  child_modules?: PlanModule[];
}

function plannedResources(module: PlanModule | undefined): PlannedResource[] {
  if (!module) return [];
  return [...(module.resources ?? []), ...(module.child_modules ?? []).flatMap(plannedResources)];
}

/** Plans `dir` with `vars` and returns every planned resource with its values. */
export async function planValues(dir: string, vars: Record<string, unknown>): Promise<PlannedResource[]> {
  writeFileSync(join(dir, 'terraform.tfvars.json'), JSON.stringify(vars));
  await terraform(['init', '-no-color', '-input=false'], dir);
  await terraform(['plan', '-no-color', '-input=false', '-out=plan.tfplan'], dir);
  const plan = JSON.parse((await terraform(['show', '-no-color', '-json', 'plan.tfplan'], dir)).stdout);
  return plannedResources(plan.planned_values?.root_module);
}

export function planned(resources: PlannedResource[], address: string): PlannedResource {
  const resource = resources.find((candidate) => candidate.address === address);
  if (!resource) throw new Error(`${address} is not in the plan`);
  return resource;
}

export function policyOf(resources: PlannedResource[], address: string): unknown {
  return JSON.parse(String(planned(resources, address).values.policy));
}

/**
 * The function's resource policy as Lambda writes it from the planned `aws_lambda_permission`s: one
 * statement per permission on the qualified ARN, with the source conditions Lambda adds. A source ARN
 * known only after apply (a secret's) is taken from `sourceArnsAfterApply`, by permission address.
 */
export function lambdaResourcePolicy(
  resources: PlannedResource[],
  functionArn: string,
  sourceArnsAfterApply: Record<string, string> = {},
): unknown {
  const permissions = resources.filter((resource) => resource.address.includes('aws_lambda_permission.'));
  return {
    Version: '2012-10-17',
    Statement: permissions.map(({ address, values }) => {
      const principal = String(values.principal);
      const condition: Record<string, Record<string, string>> = {};
      if (values.source_account)
        condition.StringEquals = { 'AWS:SourceAccount': String(values.source_account) };
      const sourceArn = values.source_arn ?? sourceArnsAfterApply[address];
      if (sourceArn) condition.ArnLike = { 'AWS:SourceArn': String(sourceArn) };
      return {
        Sid: values.statement_id,
        Effect: 'Allow',
        Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
        Action: values.action,
        Resource: values.qualifier ? `${functionArn}:${values.qualifier}` : functionArn,
        ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
      };
    }),
  };
}

export const allowEverything = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

export interface Request {
  principal: string;
  action: string;
  resource: string;
  /** Account that owns the resource. */
  accountId: string;
  identityPolicies?: unknown[];
  resourcePolicy?: unknown;
  context?: Record<string, string>;
  s3BlockPublicAccess?: boolean;
}

/**
 * Evaluates one request. AWS fills aws:PrincipalArn with the role's ARN for a role session; the
 * simulator takes the request context as given, so it is set here for IAM principals.
 */
export async function simulate(request: Request): Promise<EvaluationResult> {
  const isIamPrincipal = request.principal.startsWith('arn:');
  const result = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.accountId },
        contextVariables: {
          ...(isIamPrincipal ? { 'aws:PrincipalArn': request.principal } : {}),
          ...request.context,
        },
      },
      identityPolicies: (request.identityPolicies ?? []).map((policy, index) => ({
        name: `identity-${index}`,
        policy,
      })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.resourcePolicy,
      ...(request.s3BlockPublicAccess ? { additionalSettings: { s3: { blockPublicAccess: true } } } : {}),
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}
