import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

export const motoRegion = 'us-east-1';
export const motoAccountId = '123456789012';

export interface Moto {
  endpoint: string;
  process: ChildProcess;
  output: () => string;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject()));
    });
  });
}

/**
 * Starts moto_server on a free loopback port and waits until it answers.
 * - `MOTO_IAM_LOAD_MANAGED_POLICIES`: without it moto knows no AWS managed policy, so attaching
 *   AWSLambdaVPCAccessExecutionRole fails with NoSuchEntity.
 * - `{"lambda": {"use_docker": false}}`: moto's RotateSecret invokes the rotation function for
 *   each step; with this setting the invocation returns a canned answer instead of starting Docker.
 */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/config`, {
        method: 'POST',
        body: JSON.stringify({ lambda: { use_docker: false } }),
      });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`moto_server did not answer on ${endpoint}:\n${output}`);
    }
    await new Promise((wait) => setTimeout(wait, 100));
  }
  return { endpoint, process: child, output: () => output };
}

export async function stopMoto(moto: Moto | undefined): Promise<void> {
  const child = moto?.process;
  if (!child?.pid || child.exitCode !== null) return;
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  process.kill(child.pid, 'SIGTERM');
  await Promise.race([exited, new Promise((wait) => setTimeout(wait, 5000))]);
  if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
}

export const motoCredentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** moto does not check signatures; the credential scope only tells it which service is meant. */
function authorization(service: string): string {
  return `AWS4-HMAC-SHA256 Credential=test/20260101/${motoRegion}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

/**
 * A call in the AWS query protocol (IAM, EC2, CloudWatch), for the services whose SDK clients
 * this repository does not install. Returns the XML answer.
 */
export async function queryApi(
  moto: Moto,
  service: string,
  version: string,
  action: string,
  params: Record<string, string> = {},
): Promise<string> {
  const response = await fetch(`${moto.endpoint}/`, {
    method: 'POST',
    headers: {
      authorization: authorization(service),
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    },
    body: new URLSearchParams({ Action: action, Version: version, ...params }).toString(),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${service} ${action}: HTTP ${response.status}\n${text}`);
  return text;
}

/** A call in the AWS JSON protocol (CloudWatch Logs, EventBridge). */
export async function jsonApi(
  moto: Moto,
  service: string,
  target: string,
  body: object = {},
): Promise<unknown> {
  const response = await fetch(`${moto.endpoint}/`, {
    method: 'POST',
    headers: {
      authorization: authorization(service),
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': target,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${target}: HTTP ${response.status}\n${text}`);
  return JSON.parse(text);
}

/** The text of every `<tag>` element in an XML answer. */
export function xmlValues(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((match) => match[1] ?? '');
}
