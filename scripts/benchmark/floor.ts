import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createConnection } from 'mysql2/promise';
import type { MariaDbServer } from '../../sandbox/mariadbServer.ts';
import { rdsHostname } from '../../sandbox/moto.ts';
import type { App } from '../../sandbox/rotationWorld.ts';

const FLOOR_USER = 'benchfloor';

/**
 * The floor: what changing one password on N instances costs with plain mysql2 and nothing else,
 * one instance after the other: a TLS login with the current password (same verification as the
 * function), SET PASSWORD, and a TLS login with the new one. Its own user on the same servers,
 * alternating between two passwords.
 */
export class Floor {
  private readonly passwords = [randomBytes(24).toString('base64url'), randomBytes(24).toString('base64url')];
  private readonly generation = new Map<number, number>();
  /**
   * One object for every connection: mysql2 caches the parsed TLS context per ssl object, and a
   * careful client keeps it, so the floor pays no per-login certificate parsing.
   */
  private readonly ssl: { ca: string; rejectUnauthorized: true; verifyIdentity: true };

  constructor(ca: string) {
    this.ssl = { ca, rejectUnauthorized: true, verifyIdentity: true };
  }

  async createUsers(servers: MariaDbServer[]): Promise<void> {
    for (const server of servers) await server.createUser(FLOOR_USER, this.passwords[0] as string);
  }

  async run(app: App): Promise<number> {
    const started = performance.now();
    for (const [k, index] of app.serverIndexes.entries()) {
      const n = this.generation.get(index) ?? 0;
      const current = this.passwords[n % 2] as string;
      const next = this.passwords[(n + 1) % 2] as string;
      const target = {
        host: rdsHostname(app.instanceIds[k] as string),
        port: (app.world.servers[index] as MariaDbServer).port,
        user: FLOOR_USER,
        ssl: this.ssl,
      };
      const session = await createConnection({ ...target, password: current });
      await session.query('SET PASSWORD = PASSWORD(?)', [next]);
      await session.end();
      const check = await createConnection({ ...target, password: next });
      await check.end();
      this.generation.set(index, n + 1);
    }
    return performance.now() - started;
  }
}
