import {
  type DBInstance,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { discoverFleet } from '../../function/src/discovery.ts';
import { DiscoveryError } from '../../function/src/errors.ts';
import { rdsClient, silenceLogs, stubAwsEnvironment, testConfig } from './helpers.ts';

const rdsMock = mockClient(RDSClient);

beforeAll(() => silenceLogs());
beforeEach(() => {
  rdsMock.reset();
  stubAwsEnvironment();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

function instance(id: string, overrides: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: id,
    Engine: 'mysql',
    DBInstanceStatus: 'available',
    Endpoint: { Address: `${id}.abc123.us-east-1.rds.amazonaws.com`, Port: 3306 },
    TagList: [],
    ...overrides,
  };
}

/** The DiscoveryError discoverFleet rejects with. */
async function discoveryError(promise: Promise<unknown>): Promise<DiscoveryError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DiscoveryError);
  return error as DiscoveryError;
}

describe('discoverFleet', () => {
  it('follows every page through Marker', async () => {
    // prepare
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [instance('db-a')], Marker: 'page-2' })
      .resolvesOnce({ DBInstances: [instance('db-b')], Marker: 'page-3' })
      .resolvesOnce({ DBInstances: [instance('db-c')] });

    // act
    const instances = await discoverFleet(testConfig(), rdsClient());

    // assess
    const markers = rdsMock.commandCalls(DescribeDBInstancesCommand).map((call) => call.args[0].input.Marker);
    expect(markers).toEqual([undefined, 'page-2', 'page-3']);
    expect(instances.map((found) => found.id)).toEqual(['db-a', 'db-b', 'db-c']);
  });

  it('stops with a DiscoveryError when a marker repeats instead of paging forever', async () => {
    // prepare
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [instance('db-a')], Marker: 'same-marker' });

    // act
    const error = await discoveryError(discoverFleet(testConfig(), rdsClient()));

    // assess
    expect(error.message).toContain('same-marker');
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand)).toHaveLength(2);
  });

  it('treats an empty marker as the last page', async () => {
    // prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance('db-a')], Marker: '' });

    // act
    const instances = await discoverFleet(testConfig(), rdsClient());

    // assess
    expect(instances).toHaveLength(1);
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand)).toHaveLength(1);
  });

  it('keeps only mysql and mariadb instances by default', async () => {
    // prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('db-mysql'),
        instance('db-maria', { Engine: 'mariadb' }),
        instance('db-postgres', { Engine: 'postgres' }),
        instance('db-aurora', { Engine: 'aurora-mysql' }),
        instance('db-noengine', { Engine: undefined }),
      ],
    });

    // act
    const instances = await discoverFleet(testConfig(), rdsClient());

    // assess
    expect(instances.map((found) => found.id)).toEqual(['db-maria', 'db-mysql']);
  });

  it('uses the configured engines', async () => {
    // prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [instance('db-mysql'), instance('db-aurora', { Engine: 'aurora-mysql' })],
    });
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });

    // act
    const instances = await discoverFleet(testConfig({ engines: ['aurora-mysql'] }), rdsClient());

    // assess
    expect(instances.map((found) => found.id)).toEqual(['db-aurora']);
  });

  it('filters by tag key and value', async () => {
    // prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('db-shop', { TagList: [{ Key: 'app', Value: 'shop' }] }),
        instance('db-blog', { TagList: [{ Key: 'app', Value: 'blog' }] }),
        instance('db-untagged'),
        instance('db-other-key', { TagList: [{ Key: 'team', Value: 'shop' }] }),
      ],
    });

    // act
    const both = await discoverFleet(testConfig({ tagKey: 'app', tagValue: 'shop' }), rdsClient());
    const keyOnly = await discoverFleet(testConfig({ tagKey: 'app' }), rdsClient());

    // assess
    expect(both.map((found) => found.id)).toEqual(['db-shop']);
    expect(keyOnly.map((found) => found.id)).toEqual(['db-blog', 'db-shop']);
  });

  it('filters by identifier prefix', async () => {
    // prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [instance('shop-1'), instance('shop-2'), instance('blog-1'), instance('xshop-3')],
    });

    // act
    const instances = await discoverFleet(testConfig({ identifierPrefix: 'shop-' }), rdsClient());

    // assess
    expect(instances.map((found) => found.id)).toEqual(['shop-1', 'shop-2']);
  });

  it('skips instances that are still being created', async () => {
    // prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('db-a'),
        instance('db-new', { DBInstanceStatus: 'creating', Endpoint: undefined }),
      ],
    });

    // act
    const instances = await discoverFleet(testConfig(), rdsClient());

    // assess
    expect(instances.map((found) => found.id)).toEqual(['db-a']);
  });

  it.each([
    ['stopped', { DBInstanceStatus: 'stopped' }, 'db-x is stopped'],
    ['modifying', { DBInstanceStatus: 'modifying' }, 'db-x is modifying'],
    ['without an endpoint', { Endpoint: undefined }, 'db-x is available with no endpoint'],
    ['with an empty endpoint', { Endpoint: {} }, 'db-x is available with no endpoint'],
    [
      'with an endpoint address but no port',
      { Endpoint: { Address: 'x.example.com' } },
      'db-x is available with no',
    ],
  ])('fails naming an instance that is %s', async (_name, overrides, reason) => {
    // prepare
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [instance('db-ok'), instance('db-x', overrides)] });

    // act
    const error = await discoveryError(discoverFleet(testConfig(), rdsClient()));

    // assess
    expect(error.message).toContain(reason);
    expect(error.message).toContain('nothing was changed');
    expect(error.message).toContain('DB_SKIP_UNAVAILABLE=true');
  });

  it('lists every unavailable instance in one error', async () => {
    // prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('db-1', { DBInstanceStatus: 'stopped' }),
        instance('db-2'),
        instance('db-3', { DBInstanceStatus: 'modifying' }),
        instance('db-4', { DBInstanceStatus: 'rebooting' }),
      ],
    });

    // act
    const error = await discoveryError(discoverFleet(testConfig(), rdsClient()));

    // assess
    expect(error.message).toContain('db-1 is stopped; db-3 is modifying; db-4 is rebooting');
    expect(error.message).not.toContain('db-2');
  });

  it('skips unavailable instances when DB_SKIP_UNAVAILABLE=true', async () => {
    // prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('db-1', { DBInstanceStatus: 'stopped' }),
        instance('db-2'),
        instance('db-3', { DBInstanceStatus: 'modifying' }),
        instance('db-4', { Endpoint: undefined }),
      ],
    });

    // act
    const instances = await discoverFleet(testConfig({ skipUnavailable: true }), rdsClient());

    // assess
    expect(instances.map((found) => found.id)).toEqual(['db-2']);
  });

  it('accepts the statuses in which the database stays usable', async () => {
    // prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('db-1', { DBInstanceStatus: 'backing-up' }),
        instance('db-2', { DBInstanceStatus: 'storage-optimization' }),
        instance('db-3', { DBInstanceStatus: 'configuring-enhanced-monitoring' }),
      ],
    });

    // act
    const instances = await discoverFleet(testConfig(), rdsClient());

    // assess
    expect(instances.map((found) => found.status)).toEqual([
      'backing-up',
      'storage-optimization',
      'configuring-enhanced-monitoring',
    ]);
  });

  it('uses static endpoints without calling RDS', async () => {
    // prepare
    const config = testConfig({
      endpoints: [
        { host: 'db1.internal', port: 3306 },
        { host: 'db2.internal', port: 3307 },
      ],
    });

    // act
    const instances = await discoverFleet(config, rdsClient());

    // assess
    expect(rdsMock.calls()).toHaveLength(0);
    expect(instances).toEqual([
      { id: 'db1.internal:3306', host: 'db1.internal', port: 3306, role: 'endpoint' },
      { id: 'db2.internal:3307', host: 'db2.internal', port: 3307, role: 'endpoint' },
    ]);
  });

  it('uses Endpoint.Address and Endpoint.Port and returns the instances sorted by id', async () => {
    // prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('db-c', { Endpoint: { Address: 'c.example.com', Port: 3310 } }),
        instance('db-a', { Endpoint: { Address: 'a.example.com', Port: 3306 }, Engine: 'MariaDB' }),
        instance('db-b', { Endpoint: { Address: 'b.example.com', Port: 13306 } }),
      ],
    });

    // act
    const instances = await discoverFleet(testConfig(), rdsClient());

    // assess
    expect(instances).toEqual([
      {
        id: 'db-a',
        host: 'a.example.com',
        port: 3306,
        engine: 'MariaDB',
        status: 'available',
        role: 'primary',
      },
      {
        id: 'db-b',
        host: 'b.example.com',
        port: 13306,
        engine: 'mysql',
        status: 'available',
        role: 'primary',
      },
      {
        id: 'db-c',
        host: 'c.example.com',
        port: 3310,
        engine: 'mysql',
        status: 'available',
        role: 'primary',
      },
    ]);
  });

  it('returns no instances when RDS has none', async () => {
    // prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });

    // act
    const instances = await discoverFleet(testConfig(), rdsClient());

    // assess
    expect(instances).toEqual([]);
  });

  it('surfaces an RDS API error', async () => {
    // prepare
    const denied = Object.assign(new Error('User is not authorized to perform: rds:DescribeDBInstances'), {
      name: 'AccessDenied',
    });
    rdsMock.on(DescribeDBInstancesCommand).rejects(denied);

    // act
    const discover = discoverFleet(testConfig(), rdsClient());

    // assess
    await expect(discover).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
