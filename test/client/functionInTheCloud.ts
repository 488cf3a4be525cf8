import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  LambdaClient,
  PublishVersionCommand,
} from '@aws-sdk/client-lambda';
import {
  DescribeSecretCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { ensureBuiltZip, type Invocation } from '../../sandbox/bundleInvoker.ts';
import { AWS_TEST_CREDENTIALS, TEST_REGION } from '../../sandbox/moto.ts';
import { queryApi } from '../../sandbox/motoRequests.ts';
import { listenOnLoopback } from '../../sandbox/ports.ts';
import type { App, RotationWorld } from '../../sandbox/rotationWorld.ts';
import type { DriverHooks, RotationRun } from '../../sandbox/secretsManagerDriver.ts';

/**
 * An HTTP proxy in front of moto that plays the parts of AWS moto cannot play without Docker, so
 * that scripts/invoke and scripts/logs can be run as in an account:
 * - Lambda's Invoke runs the built function.zip (the app's bundle, in a fresh Node process) and
 *   answers with its result or error, as Lambda does;
 * - every invocation's log lines land in CloudWatch Logs (moto's), in the function's log group,
 *   framed by Lambda's JSON-format platform lines;
 * - RotateSecret makes Secrets Manager invoke the four steps in the background, as AWS does.
 *
 * moto's RotateSecret without RotationLambdaARN forgets the secret's rotation function and moves
 * AWSCURRENT to the new, empty version at once. AWS rotates with the stored configuration and
 * leaves AWSCURRENT alone until finishSecret. Given the stored ARN, moto labels as AWS does
 * (AWSPENDING on the new version only), so the proxy adds it to the request and checks the labels.
 * Everything else goes to moto untouched.
 */
export class FunctionInTheCloud {
  /** Manual invocations, in order: the alias or version asked for, and the event. */
  readonly invocations: { qualifier: string | undefined; event: unknown }[] = [];
  /** Rotations started through RotateSecret, by token. */
  readonly rotations = new Map<string, Promise<RotationRun>>();
  /** Hooks for the background rotations (a test can hold a step, or watch one end). */
  hooks: DriverHooks = {};
  readonly logs: CloudWatchLogsClient;
  private readonly upstream: URL;

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    private readonly world: RotationWorld,
    private readonly app: App,
    readonly functionName: string,
  ) {
    this.upstream = new URL(world.moto.endpoint);
    this.logs = new CloudWatchLogsClient({
      endpoint: world.moto.endpoint,
      region: TEST_REGION,
      credentials: AWS_TEST_CREDENTIALS,
    });
  }

  get logGroup(): string {
    return `/aws/lambda/${this.functionName}`;
  }

  /**
   * Deploys the function in moto as the module does (aliases `rotation` and `manual`, the log
   * group), turns on rotation of the app's secret through the `rotation` alias, and starts the proxy.
   */
  static async start(world: RotationWorld, app: App, functionName: string): Promise<FunctionInTheCloud> {
    const server = createServer();
    const port = await listenOnLoopback(server);
    const cloud = new FunctionInTheCloud(server, `http://127.0.0.1:${port}`, world, app, functionName);
    server.on('request', (req, res) => {
      cloud.handle(req, res).catch((error: unknown) => {
        res.writeHead(502).end(String(error));
      });
    });
    await cloud.deploy();
    return cloud;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.rotations.values());
    this.logs.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async deploy(): Promise<void> {
    const { moto } = this.world;
    // moto's Invoke would need Docker; RotateSecret only checks that the function exists.
    await fetch(`${moto.endpoint}/moto-api/config`, {
      method: 'POST',
      body: JSON.stringify({ lambda: { use_docker: false } }),
    });
    await queryApi(moto, 'iam', '2010-05-08', 'CreateRole', {
      RoleName: `${this.functionName}-role`,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    });
    const lambda = new LambdaClient({
      endpoint: moto.endpoint,
      region: TEST_REGION,
      credentials: AWS_TEST_CREDENTIALS,
    });
    try {
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: this.functionName,
          Role: `arn:aws:iam::123456789012:role/${this.functionName}-role`,
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Code: { ZipFile: readFileSync(ensureBuiltZip()) },
        }),
      );
      const { Version } = await lambda.send(new PublishVersionCommand({ FunctionName: this.functionName }));
      const aliases = await Promise.all(
        ['rotation', 'manual'].map((Name) =>
          lambda.send(
            new CreateAliasCommand({ FunctionName: this.functionName, Name, FunctionVersion: Version }),
          ),
        ),
      );
      await this.logs.send(new CreateLogGroupCommand({ logGroupName: this.logGroup }));
      // As the module's aws_secretsmanager_secret_rotation does, minus the immediate rotation:
      // moto leaves a copy of the value carrying AWSPENDING for its canned testSecret, removed here.
      await this.world.secrets.send(
        new RotateSecretCommand({
          SecretId: this.app.secretId,
          RotationLambdaARN: aliases[0]?.AliasArn,
          RotationRules: { AutomaticallyAfterDays: 30 },
          RotateImmediately: false,
        }),
      );
      const { VersionIdsToStages = {} } = await this.world.secrets.send(
        new DescribeSecretCommand({ SecretId: this.app.secretId }),
      );
      const copy = Object.entries(VersionIdsToStages).find(([, stages]) =>
        stages?.includes('AWSPENDING'),
      )?.[0];
      await this.world.secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: this.app.secretId,
          VersionStage: 'AWSPENDING',
          RemoveFromVersionId: copy,
        }),
      );
    } finally {
      lambda.destroy();
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://proxy');
    const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
    if (req.method === 'POST' && invoke) {
      await this.invoke(
        decodeURIComponent(invoke[1] as string),
        url.searchParams.get('Qualifier'),
        body,
        res,
      );
      return;
    }
    if (req.headers['x-amz-target'] === 'secretsmanager.RotateSecret') {
      await this.rotateSecret(req, body, res);
      return;
    }
    await this.forward(req, body, res);
  }

  /** Lambda's synchronous Invoke of a manual action: the real bundle, with its logs written. */
  private async invoke(
    functionName: string,
    qualifier: string | null,
    body: Buffer,
    res: ServerResponse,
  ): Promise<void> {
    const event: unknown = JSON.parse(body.toString('utf8') || '{}');
    const [name, qualifierInName] = functionName
      .replace(/^arn:[^:]+:lambda:[^:]+:\d+:function:/, '')
      .split(':');
    if (name !== this.functionName) {
      res
        .writeHead(404, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'ResourceNotFoundException',
        })
        .end(JSON.stringify({ Type: 'User', Message: `Function not found: ${functionName}` }));
      return;
    }
    const alias = qualifier ?? qualifierInName ?? null;
    this.invocations.push({ qualifier: alias ?? undefined, event });
    // Through the alias the caller named, as Lambda would: the function admits rotation steps
    // only through its rotation alias.
    const invocation = await this.app.invoke(event, undefined, alias);
    await this.writeLogs(invocation);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-amz-executed-version': '1',
    };
    if (!invocation.ok) headers['x-amz-function-error'] = 'Unhandled';
    const payload = invocation.ok
      ? invocation.result
      : { errorType: invocation.error?.name, errorMessage: invocation.error?.message, trace: [] };
    res.writeHead(200, headers).end(JSON.stringify(payload ?? null));
  }

  /** RotateSecret with the stored configuration, then the four steps in the background. */
  private async rotateSecret(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const input = JSON.parse(body.toString('utf8')) as { SecretId: string; ClientRequestToken?: string };
    const described = await this.world.secrets.send(new DescribeSecretCommand({ SecretId: input.SecretId }));
    const stored = described.RotationLambdaARN;
    const forwarded = Buffer.from(JSON.stringify({ RotationLambdaARN: stored, ...input }));
    const answer = await this.forward(req, forwarded, res);
    if (answer.status !== 200) return;
    const token = (JSON.parse(answer.body) as { VersionId: string }).VersionId;
    this.rotations.set(token, this.runSteps(described.ARN as string, token));
  }

  /** What Secrets Manager does after RotateSecret answered: the four steps, retried as AWS does. */
  private async runSteps(secretArn: string, token: string): Promise<RotationRun> {
    const labels = await this.world.secrets.send(new DescribeSecretCommand({ SecretId: secretArn }));
    const onToken = labels.VersionIdsToStages?.[token] ?? [];
    if (onToken.join() !== 'AWSPENDING') {
      throw new Error(`moto labelled the new version ${JSON.stringify(onToken)}, not AWSPENDING alone`);
    }
    const hooks = this.hooks;
    return this.app.driver.resume(secretArn, token, {
      beforeStep: hooks.beforeStep,
      afterStep: async (step, attempt, invocation) => {
        await this.writeLogs(invocation);
        await hooks.afterStep?.(step, attempt, invocation);
      },
    });
  }

  /** The invocation's lines as Lambda writes them in JSON log format, in a stream of their own. */
  private async writeLogs(invocation: Invocation): Promise<void> {
    const now = Date.now();
    const requestId = randomBytes(16).toString('hex');
    const stamped = invocation.logs.map((line) => {
      const time = Date.parse(
        (JSON.parse(line.startsWith('{') ? line : '{}') as { timestamp?: string }).timestamp ?? '',
      );
      return { timestamp: Number.isNaN(time) ? now : time, message: line };
    });
    const first = stamped[0]?.timestamp ?? now;
    const last = stamped.at(-1)?.timestamp ?? now;
    const platform = (time: number, type: string, record: object) => ({
      timestamp: time,
      message: JSON.stringify({ time: new Date(time).toISOString(), type, record: { requestId, ...record } }),
    });
    const events = [
      platform(first - 1, 'platform.start', { version: '1' }),
      ...stamped,
      platform(last + 1, 'platform.report', {
        metrics: {
          durationMs: invocation.ms,
          billedDurationMs: invocation.ms,
          memorySizeMB: 256,
          maxMemoryUsedMB: 96,
        },
        status: invocation.ok ? 'success' : 'error',
      }),
    ].sort((a, b) => a.timestamp - b.timestamp);
    const logStreamName = `${new Date(now).toISOString().slice(0, 10).replaceAll('-', '/')}/[1]${requestId}`;
    await this.logs.send(new CreateLogStreamCommand({ logGroupName: this.logGroup, logStreamName }));
    await this.logs.send(
      new PutLogEventsCommand({ logGroupName: this.logGroup, logStreamName, logEvents: events }),
    );
  }

  private forward(
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const upstream = request(
        {
          host: this.upstream.hostname,
          port: this.upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: this.upstream.host, 'content-length': String(body.length) },
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => {
            const text = Buffer.concat(chunks);
            res.writeHead(answer.statusCode ?? 502, answer.headers).end(text);
            resolve({ status: answer.statusCode ?? 502, body: text.toString('utf8') });
          });
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}
