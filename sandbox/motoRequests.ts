import { TEST_REGION } from './moto.ts';

// Calls to moto for the services whose SDK clients this repository does not install (IAM, EC2,
// CloudWatch, CloudWatch Logs, EventBridge), so that tests can look at what Terraform created.

/** moto does not check signatures; the credential scope only tells it which service is meant. */
function authorization(service: string): string {
  return `AWS4-HMAC-SHA256 Credential=testing/20260101/${TEST_REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

/** A call in the AWS query protocol (IAM, EC2, CloudWatch). Returns the XML answer. */
export async function queryApi(
  moto: { endpoint: string },
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
  moto: { endpoint: string },
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
