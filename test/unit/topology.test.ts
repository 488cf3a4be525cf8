import {
  type DBCluster,
  type DBInstance,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { discoverFleet, listInstances } from '../../function/src/discovery.ts';
import { DiscoveryError } from '../../function/src/errors.ts';
import { rdsClient, silenceLogs, stubAwsEnvironment, testConfig } from './helpers.ts';

// Replication topologies as RDS describes them, with a mocked RDS client: moto models read
// replicas and clusters (the end-to-end tests use it), but not a replica's replication state
// (StatusInfos), cross-region sources, replica clusters, a cluster without a writer or a member
// of a cluster RDS does not list, nor paging of DescribeDBClusters.
const rdsMock = mockClient(RDSClient);

beforeAll(() => silenceLogs());
beforeEach(() => {
  rdsMock.reset();
  stubAwsEnvironment();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const ARN = (id: string, region = 'us-east-1') => `arn:aws:rds:${region}:123456789012:db:${id}`;

function instance(id: string, overrides: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: id,
    DBInstanceArn: ARN(id),
    Engine: 'mysql',
    DBInstanceStatus: 'available',
    Endpoint: { Address: `${id}.abc123.us-east-1.rds.amazonaws.com`, Port: 3306 },
    ...overrides,
  };
}

function cluster(
  id: string,
  writer: string | undefined,
  readers: string[],
  overrides: Partial<DBCluster> = {},
) {
  return {
    DBClusterIdentifier: id,
    DBClusterArn: `arn:aws:rds:us-east-1:123456789012:cluster:${id}`,
    Engine: 'aurora-mysql',
    Status: 'available',
    DBClusterMembers: [
      ...(writer === undefined ? [] : [{ DBInstanceIdentifier: writer, IsClusterWriter: true }]),
      ...readers.map((reader) => ({ DBInstanceIdentifier: reader, IsClusterWriter: false })),
    ],
    ...overrides,
  };
}

const member = (id: string, clusterId: string) =>
  instance(id, { Engine: 'aurora-mysql', DBClusterIdentifier: clusterId });

function describes(instances: DBInstance[], clusters: DBCluster[] = []): void {
  rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: instances });
  rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: clusters });
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DiscoveryError);
  return (error as DiscoveryError).message;
}

const AURORA = { engines: ['mysql', 'mariadb', 'aurora-mysql'] };

describe('read replicas', () => {
  it('places a replica and a replica of it under the primary they take the password from', async () => {
    // prepare
    describes([
      instance('db-1', { ReadReplicaDBInstanceIdentifiers: ['db-2'] }),
      instance('db-2', {
        ReadReplicaSourceDBInstanceIdentifier: 'db-1',
        ReadReplicaDBInstanceIdentifiers: ['db-3'],
      }),
      instance('db-3', { ReadReplicaSourceDBInstanceIdentifier: 'db-2' }),
    ]);

    // act
    const members = await discoverFleet(testConfig(), rdsClient());

    // assess
    expect(members.map((m) => [m.id, m.role, m.origin, m.via])).toEqual([
      ['db-1', 'primary', undefined, undefined],
      ['db-2', 'replica', 'db-1', 'read replica of db-1'],
      ['db-3', 'replica', 'db-1', 'read replica of db-2'],
    ]);
  });

  it('finds a source named by its ARN', async () => {
    // prepare
    describes([instance('db-1'), instance('db-2', { ReadReplicaSourceDBInstanceIdentifier: ARN('db-1') })]);

    // act
    const members = await discoverFleet(testConfig(), rdsClient());

    // assess
    expect(members[1]).toMatchObject({ role: 'replica', origin: 'db-1' });
  });

  it.each([
    ['in another region', ARN('db-far', 'eu-west-1')],
    ['left out by the identifier prefix', 'other-1'],
  ])('refuses, before any change, a replica whose source is %s', async (_case, source) => {
    // prepare
    describes([
      instance('shop-1'),
      instance('shop-2', { ReadReplicaSourceDBInstanceIdentifier: source }),
      instance('other-1'),
    ]);

    // act
    const message = await refusal(discoverFleet(testConfig({ identifierPrefix: 'shop-' }), rdsClient()));

    // assess
    expect(message).toContain(
      `shop-2: it is a read replica of ${source}, which this rotation does not include`,
    );
    expect(message).toContain('nothing was changed');
    expect(message).toContain('Include the source (tag or identifier prefix), or leave these instances out');
  });

  it('lists such a replica as misconfigured, whatever DB_SKIP_UNAVAILABLE says', async () => {
    // prepare
    describes([instance('db-2', { ReadReplicaSourceDBInstanceIdentifier: ARN('db-far', 'eu-west-1') })]);

    // act
    const [listed] = await listInstances(testConfig({ skipUnavailable: true }), rdsClient());

    // assess
    expect(listed).toMatchObject({ instance: 'db-2', outcome: 'misconfigured', role: 'replica' });
    expect(listed?.target).toBeUndefined();
  });

  it('leaves out a replica whose source is left out, and says why', async () => {
    // prepare
    describes([
      instance('db-1', { DBInstanceStatus: 'stopped' }),
      instance('db-2', { ReadReplicaSourceDBInstanceIdentifier: 'db-1' }),
      instance('db-3'),
    ]);

    // act
    const listed = await listInstances(testConfig({ skipUnavailable: true }), rdsClient());

    // assess
    expect(listed.map((i) => [i.instance, i.outcome, i.note])).toEqual([
      ['db-1', 'skipped', 'stopped: rotations leave it out (DB_SKIP_UNAVAILABLE=true)'],
      ['db-2', 'skipped', 'its source db-1 is left out of rotations, so it is too'],
      ['db-3', 'included', undefined],
    ]);
  });

  it('does not take in a replica the discovery rules leave out', async () => {
    // prepare
    describes([
      instance('shop-1', { ReadReplicaDBInstanceIdentifiers: ['reporting-1', ARN('shop-far', 'eu-west-1')] }),
      instance('reporting-1', { ReadReplicaSourceDBInstanceIdentifier: 'shop-1' }),
    ]);

    // act
    const members = await discoverFleet(testConfig({ identifierPrefix: 'shop-' }), rdsClient());

    // assess
    expect(members.map((m) => m.id)).toEqual(['shop-1']);
  });

  it('gives the replication state RDS reports, without refusing, to the steps after setSecret', async () => {
    // prepare
    describes([
      instance('db-1'),
      instance('db-2', {
        ReadReplicaSourceDBInstanceIdentifier: 'db-1',
        StatusInfos: [
          { StatusType: 'read replication', Status: 'error', Normal: false, Message: 'IO thread stopped' },
        ],
      }),
    ]);

    // act
    const members = await discoverFleet(testConfig(), rdsClient());

    // assess
    expect(members[1]?.replication).toEqual({ status: 'error', normal: false, message: 'IO thread stopped' });
  });

  it.each(['stopped', 'error', 'terminated', 'replication stop point reached'])(
    'refuses a replica whose replication is "%s" before setSecret changes anything',
    async (status) => {
      // prepare
      describes([
        instance('db-1'),
        instance('db-2', {
          ReadReplicaSourceDBInstanceIdentifier: 'db-1',
          StatusInfos: [{ StatusType: 'read replication', Status: status, Normal: false, Message: 'why' }],
        }),
      ]);

      // act
      const message = await refusal(discoverFleet(testConfig(), rdsClient(), { requireReplicating: true }));

      // assess
      expect(message).toContain(`db-2 (read replica of db-1) is "${status}: why"`);
      expect(message).toContain('nothing was changed');
      expect(message).toContain('restart their replication');
    },
  );

  it('accepts a replica RDS reports as replicating, or says nothing about', async () => {
    // prepare
    describes([
      instance('db-1'),
      instance('db-2', {
        ReadReplicaSourceDBInstanceIdentifier: 'db-1',
        StatusInfos: [{ StatusType: 'read replication', Status: 'replicating', Normal: true }],
      }),
      instance('db-3', { ReadReplicaSourceDBInstanceIdentifier: 'db-1' }),
    ]);

    // act
    const members = await discoverFleet(testConfig(), rdsClient(), { requireReplicating: true });

    // assess
    expect(members.map((m) => m.role)).toEqual(['primary', 'replica', 'replica']);
  });
});

describe('clusters', () => {
  it('reads every page of DescribeDBClusters and writes through each writer', async () => {
    // prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [member('a-w', 'a'), member('a-r', 'a'), member('b-w', 'b'), instance('db-1')],
    });
    rdsMock
      .on(DescribeDBClustersCommand)
      .resolvesOnce({ DBClusters: [cluster('a', 'a-w', ['a-r'])], Marker: 'next' })
      .resolvesOnce({ DBClusters: [cluster('b', 'b-w', [])] });

    // act
    const members = await discoverFleet(testConfig(AURORA), rdsClient());

    // assess
    expect(rdsMock.commandCalls(DescribeDBClustersCommand).map((c) => c.args[0].input.Marker)).toEqual([
      undefined,
      'next',
    ]);
    expect(members.map((m) => [m.id, m.role, m.origin])).toEqual([
      ['a-r', 'reader', 'a-w'],
      ['a-w', 'writer', undefined],
      ['b-w', 'writer', undefined],
      ['db-1', 'primary', undefined],
    ]);
  });

  it('takes every member of a cluster the rules match by the cluster alone', async () => {
    // prepare
    describes(
      [member('instance-1', 'shop-aurora'), member('instance-2', 'shop-aurora'), member('x-1', 'other')],
      [
        cluster('shop-aurora', 'instance-1', ['instance-2'], { TagList: [{ Key: 'app', Value: 'shop' }] }),
        cluster('other', 'x-1', []),
      ],
    );

    // act
    const members = await discoverFleet(
      testConfig({ ...AURORA, tagKey: 'app', tagValue: 'shop' }),
      rdsClient(),
    );

    // assess
    expect(members.map((m) => [m.id, m.role])).toEqual([
      ['instance-1', 'writer'],
      ['instance-2', 'reader'],
    ]);
  });

  it('takes the whole cluster of one member the rules match', async () => {
    // prepare
    describes(
      [member('shop-1', 'aurora-9'), member('unnamed-2', 'aurora-9')],
      [cluster('aurora-9', 'unnamed-2', ['shop-1'])],
    );

    // act
    const members = await discoverFleet(testConfig({ ...AURORA, identifierPrefix: 'shop-' }), rdsClient());

    // assess
    expect(members.map((m) => [m.id, m.role, m.origin])).toEqual([
      ['shop-1', 'reader', 'unnamed-2'],
      ['unnamed-2', 'writer', undefined],
    ]);
  });

  it('refuses a member of a cluster RDS does not list', async () => {
    // prepare
    describes([member('a-w', 'gone')], []);

    // act
    const message = await refusal(discoverFleet(testConfig(AURORA), rdsClient()));

    // assess
    expect(message).toContain('a-w: it is a member of cluster gone, which RDS does not list');
  });

  it('refuses a cluster without a writer as unavailable, or leaves it out with DB_SKIP_UNAVAILABLE', async () => {
    // prepare
    describes([member('a-1', 'a'), member('a-2', 'a')], [cluster('a', undefined, ['a-1', 'a-2'])]);

    // act
    const message = await refusal(discoverFleet(testConfig(AURORA), rdsClient()));
    const skipped = await discoverFleet(testConfig({ ...AURORA, skipUnavailable: true }), rdsClient());

    // assess
    expect(message).toContain('a-1 is unusable, cluster a has no writer, a failover may be under way');
    expect(message).toContain('DB_SKIP_UNAVAILABLE=true');
    expect(skipped).toEqual([]);
  });

  it('places the members of a replica cluster under the writer of its source cluster', async () => {
    // prepare
    describes(
      [member('a-w', 'a'), member('b-1', 'b'), member('b-2', 'b')],
      [
        cluster('a', 'a-w', []),
        cluster('b', 'b-1', ['b-2'], {
          ReplicationSourceIdentifier: 'arn:aws:rds:us-east-1:123456789012:cluster:a',
        }),
      ],
    );

    // act
    const members = await discoverFleet(testConfig(AURORA), rdsClient());

    // assess
    expect(members.map((m) => [m.id, m.role, m.origin])).toEqual([
      ['a-w', 'writer', undefined],
      ['b-1', 'reader', 'a-w'],
      ['b-2', 'reader', 'a-w'],
    ]);
  });

  it('refuses the members of a cluster replicating from another region', async () => {
    // prepare
    const far = 'arn:aws:rds:eu-west-1:123456789012:cluster:far';
    describes([member('b-1', 'b')], [cluster('b', 'b-1', [], { ReplicationSourceIdentifier: far })]);

    // act
    const message = await refusal(discoverFleet(testConfig(AURORA), rdsClient()));

    // assess
    expect(message).toContain(
      `b-1: its cluster b replicates from ${far}, which this rotation does not include`,
    );
  });

  it('places an RDS read replica of a cluster under the cluster writer', async () => {
    // prepare
    describes(
      [member('a-w', 'a'), instance('db-r', { ReadReplicaSourceDBClusterIdentifier: 'a' })],
      [cluster('a', 'a-w', [])],
    );

    // act
    const members = await discoverFleet(testConfig(AURORA), rdsClient());

    // assess
    expect(members.map((m) => [m.id, m.role, m.origin, m.via])).toEqual([
      ['a-w', 'writer', undefined, undefined],
      ['db-r', 'replica', 'a-w', 'read replica of cluster a'],
    ]);
  });

  it('describes clusters for a Multi-AZ DB cluster of mysql without aurora-mysql configured', async () => {
    // prepare
    describes(
      [member('m-1', 'multi'), member('m-2', 'multi')].map((i) => ({ ...i, Engine: 'mysql' })),
      [cluster('multi', 'm-1', ['m-2'], { Engine: 'mysql' })],
    );

    // act
    const members = await discoverFleet(testConfig(), rdsClient());

    // assess
    expect(members.map((m) => [m.id, m.role])).toEqual([
      ['m-1', 'writer'],
      ['m-2', 'reader'],
    ]);
  });

  it('refuses clearly when DescribeDBClusters is denied for members of a Multi-AZ DB cluster', async () => {
    // prepare
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ ...member('m-1', 'multi'), Engine: 'mysql' }] });
    const denied = Object.assign(new Error('not authorized to perform: rds:DescribeDBClusters'), {
      name: 'AccessDenied',
    });
    rdsMock.on(DescribeDBClustersCommand).rejects(denied);

    // act
    const message = await refusal(discoverFleet(testConfig(), rdsClient()));

    // assess
    expect(message).toContain('m-1 are members of DB clusters, whose writer only DescribeDBClusters tells');
    expect(message).toContain('not authorized to perform: rds:DescribeDBClusters');
    expect(message).toContain("Allow rds:DescribeDBClusters to the function's role");
  });

  it('does not call DescribeDBClusters when no cluster can take part', async () => {
    // prepare
    describes([instance('db-1')]);

    // act
    await discoverFleet(testConfig(), rdsClient());

    // assess
    expect(rdsMock.commandCalls(DescribeDBClustersCommand)).toHaveLength(0);
  });

  it('gives the role, source and cluster of each instance in the list the status action shows', async () => {
    // prepare
    describes(
      [
        member('a-w', 'a'),
        member('a-r', 'a'),
        instance('db-r', { ReadReplicaSourceDBClusterIdentifier: 'a' }),
      ],
      [cluster('a', 'a-w', ['a-r'])],
    );

    // act
    const listed = await listInstances(testConfig(AURORA), rdsClient());

    // assess
    expect(listed.map(({ instance: id, role, source, cluster: c }) => ({ id, role, source, c }))).toEqual([
      { id: 'a-r', role: 'reader', source: 'a-w', c: 'a' },
      { id: 'a-w', role: 'writer', source: undefined, c: 'a' },
      { id: 'db-r', role: 'replica', source: 'a-w', c: undefined },
    ]);
  });
});
