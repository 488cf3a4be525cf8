import { waitForReplica } from './mariadbReplication.ts';
import type { MariaDbServer, TestUserOptions } from './mariadbServer.ts';
import { createAuroraCluster, createRdsInstance, createRdsReadReplica } from './moto.ts';
import type { RotationWorld } from './rotationWorld.ts';

/**
 * How an application's servers replicate, as RDS is told about it. Replication itself is set up
 * on the servers beforehand (RotationWorld.replicate); the user is created on the primaries and
 * writers only and reaches the others by replication.
 */
export interface FleetLayout {
  /** Registered as RDS instances `<prefix>db<n>` that replicate from nothing. */
  primaries?: number[];
  /** Registered as read replicas `<prefix>db<n>` of `<prefix>db<source>` (sources listed first). */
  replicas?: { server: number; source: number }[];
  /** Registered as Aurora clusters `<prefix>c<k>` with members `<prefix>c<k>-db<n>`, the writer first. */
  clusters?: { writer: number; readers: number[] }[];
}

/** Every server of a layout, in the order its instances are registered. */
export function fleetServers(layout: FleetLayout): number[] {
  return [
    ...(layout.primaries ?? []),
    ...(layout.replicas ?? []).map((replica) => replica.server),
    ...(layout.clusters ?? []).flatMap((cluster) => [cluster.writer, ...cluster.readers]),
  ];
}

/**
 * Registers an application's primaries, read replicas and clusters in moto and creates its user
 * on the servers that are written to, then waits until every replica has it. Returns the
 * instance identifiers in the order of `fleetServers(layout)`.
 */
export async function registerFleet(
  world: RotationWorld,
  prefix: string,
  username: string,
  password: string,
  layout: FleetLayout,
  userOptions?: (serverIndex: number) => TestUserOptions | undefined,
): Promise<string[]> {
  const server = (index: number) => world.servers[index] as MariaDbServer;
  const written = [...(layout.primaries ?? []), ...(layout.clusters ?? []).map((cluster) => cluster.writer)];
  for (const index of written) await server(index).createUser(username, password, userOptions?.(index));
  const ids: string[] = [];
  for (const index of layout.primaries ?? []) {
    await createRdsInstance(world.rds, {
      id: `${prefix}db${index}`,
      engine: 'mariadb',
      port: server(index).port,
    });
    ids.push(`${prefix}db${index}`);
  }
  for (const { server: index, source } of layout.replicas ?? []) {
    const id = `${prefix}db${index}`;
    await createRdsReadReplica(world.rds, { id, sourceId: `${prefix}db${source}`, port: server(index).port });
    ids.push(id);
  }
  for (const [k, cluster] of (layout.clusters ?? []).entries()) {
    const id = `${prefix}c${k + 1}`;
    const members = [cluster.writer, ...cluster.readers].map((index) => ({
      id: `${id}-db${index}`,
      port: server(index).port,
    }));
    await createAuroraCluster(world.rds, { id, members });
    ids.push(...members.map((member) => member.id));
  }
  // Every replica must have the user before the application exists: wait for its written origin.
  const origins = new Map<number, number>(written.map((index) => [index, index]));
  for (const { server: index, source } of layout.replicas ?? [])
    origins.set(index, origins.get(source) ?? source);
  for (const cluster of layout.clusters ?? [])
    for (const reader of cluster.readers) origins.set(reader, cluster.writer);
  for (const [index, origin] of origins) {
    if (index === origin) continue;
    server(index).knowUser(username, server(origin).userHost(username));
    await waitForReplica(server(index), server(origin));
  }
  return ids;
}
