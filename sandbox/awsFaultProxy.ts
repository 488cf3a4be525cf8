import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './ports.ts';

export type AwsService = 'secretsmanager' | 'rds';
export type AwsFaultKind = 'server-error' | 'throttling';

/** Fails `times` matching calls (after letting `skip` through), then lets every call through. */
export interface AwsFaultRule {
  service: AwsService;
  operation: string;
  kind: AwsFaultKind;
  times: number;
  skip?: number;
}

interface ActiveRule extends AwsFaultRule {
  seen: number;
  failed: number;
}

/**
 * An HTTP proxy in front of moto that answers chosen AWS calls with errors. The function's
 * AWS_ENDPOINT_URL points at it; the tests' own clients talk to moto directly. Calls are told
 * apart as the SDK sends them: Secrets Manager by the `x-amz-target: secretsmanager.<Operation>`
 * header (JSON protocol), RDS by `Action=<Operation>` in the form body (query protocol).
 */
export class AwsFaultProxy {
  private rules: ActiveRule[] = [];
  /** Every call seen, as `service.Operation`, with `!` when it was failed on purpose. */
  readonly calls: string[] = [];

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    private readonly upstream: URL,
  ) {}

  static async start(upstreamEndpoint: string): Promise<AwsFaultProxy> {
    const server = createServer();
    const port = await listenOnLoopback(server);
    const proxy = new AwsFaultProxy(server, `http://127.0.0.1:${port}`, new URL(upstreamEndpoint));
    server.on('request', (req, res) => {
      proxy.handle(req, res).catch((error: unknown) => {
        res.writeHead(502).end(String(error));
      });
    });
    return proxy;
  }

  inject(rule: AwsFaultRule): void {
    this.rules.push({ ...rule, seen: 0, failed: 0 });
  }

  /** How many calls each rule failed, for the scenario table. */
  failures(): number {
    return this.rules.reduce((sum, rule) => sum + rule.failed, 0);
  }

  clear(): void {
    this.rules = [];
    this.calls.length = 0;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const { service, operation } = identify(req, body);
    const rule = this.rules.find(
      (r) => r.service === service && r.operation === operation && r.failed < r.times,
    );
    if (rule !== undefined && rule.seen++ >= (rule.skip ?? 0)) {
      rule.failed++;
      this.calls.push(`${service}.${operation}!`);
      respondWithFault(res, service, rule.kind);
      return;
    }
    this.calls.push(`${service}.${operation}`);
    await this.forward(req, body, res);
  }

  private forward(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    return new Promise((resolve, reject) => {
      const upstream = request(
        {
          host: this.upstream.hostname,
          port: this.upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: this.upstream.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', resolve);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}

function identify(req: IncomingMessage, body: Buffer): { service: string; operation: string } {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string' && target.startsWith('secretsmanager.')) {
    return { service: 'secretsmanager', operation: target.slice('secretsmanager.'.length) };
  }
  const action = new URLSearchParams(body.toString('utf8')).get('Action');
  return action === null ? { service: 'unknown', operation: '' } : { service: 'rds', operation: action };
}

/** The error bodies the real services send, so that the SDK classifies them as it would in AWS. */
function respondWithFault(res: ServerResponse, service: string, kind: AwsFaultKind): void {
  if (service === 'secretsmanager') {
    const [status, type, message] =
      kind === 'throttling'
        ? [400, 'ThrottlingException', 'Rate exceeded']
        : [500, 'InternalServiceError', 'injected server error'];
    res
      .writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'fault' })
      .end(JSON.stringify({ __type: type, message }));
    return;
  }
  const [status, type, code, message] =
    kind === 'throttling'
      ? [400, 'Sender', 'Throttling', 'Rate exceeded']
      : [500, 'Receiver', 'InternalFailure', 'injected server error'];
  res
    .writeHead(status, { 'content-type': 'text/xml' })
    .end(
      `<ErrorResponse><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error>` +
        '<RequestId>fault</RequestId></ErrorResponse>',
    );
}
