import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRdsClient } from '../../function/src/environment.ts';

// RDS_HTTPS_PROXY must carry the RDS API calls (and only those) through an HTTP CONNECT proxy.
let proxy: Server;
const tunnels: string[] = [];

beforeAll(async () => {
  proxy = createServer((_request, response) => response.writeHead(405).end());
  proxy.on('connect', (request, socket) => {
    tunnels.push(request.url ?? '');
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
});

describe('the RDS client', () => {
  it('tunnels its HTTPS calls through RDS_HTTPS_PROXY', async () => {
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
    const { port } = proxy.address() as AddressInfo;
    const rds = createRdsClient({ rdsHttpsProxy: `http://127.0.0.1:${port}` });

    const call = rds.send(new DescribeDBInstancesCommand({}), { requestTimeout: 2000 } as never);

    await expect(call).rejects.toThrow();
    expect(tunnels).toContain('rds.eu-west-1.amazonaws.com:443');
    rds.destroy();
    vi.unstubAllEnvs();
  });
});
