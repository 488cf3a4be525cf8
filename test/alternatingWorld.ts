import type { MariaDbServer } from '../sandbox/mariadbServer.ts';
import { newPassword, type RotationWorld } from '../sandbox/rotationWorld.ts';

export const ADMIN = 'rotadmin';

/**
 * Gives every server of `world` an administrator with what an RDS master user has for the
 * alternating-users strategy (CREATE USER, SELECT on the mysql schema, the application's
 * privileges WITH GRANT OPTION) and a schema `shop` to grant on; returns its secret. Only the
 * `written` servers are set up: replicas receive it all by replication.
 */
export async function addAdministrator(
  world: RotationWorld,
  written: number[] = world.servers.map((_, index) => index),
): Promise<{ arn: string; password: string }> {
  const password = newPassword('Admin');
  // Replicas get all of it from their source.
  for (const server of written.map((index) => world.servers[index] as MariaDbServer)) {
    await server.adminQuery('CREATE DATABASE shop');
    await server.adminQuery('CREATE TABLE shop.orders (id INT PRIMARY KEY, note TEXT, total INT)');
    await server.adminQuery('CREATE PROCEDURE shop.tally() SELECT COUNT(*) FROM shop.orders');
    await server.adminQuery("CREATE USER ?@'%' IDENTIFIED BY ? REQUIRE SSL", [ADMIN, password]);
    await server.adminQuery("GRANT CREATE USER ON *.* TO ?@'%'", [ADMIN]);
    await server.adminQuery("GRANT SELECT ON mysql.* TO ?@'%'", [ADMIN]);
    await server.adminQuery("GRANT ALL PRIVILEGES ON shop.* TO ?@'%' WITH GRANT OPTION", [ADMIN]);
  }
  const arn = await world.createSecret('rotation/admin', JSON.stringify({ username: ADMIN, password }));
  return { arn, password };
}
