import { MariaDbServer, type MariaDbServerOptions } from './mariadbServer.ts';

/** Several MariaDB servers started together, stopped together. */
export interface MariaDbFleet {
  servers: MariaDbServer[];
  stopAll(): Promise<void>;
}

const START_BATCH = 16;

/** Starts `n` servers in parallel batches; options may depend on the index (e.g. a certificate each). */
export async function startMariaDbFleet(
  n: number,
  options: MariaDbServerOptions | ((index: number) => MariaDbServerOptions) = {},
): Promise<MariaDbFleet> {
  const servers = Array.from(
    { length: n },
    (_, i) => new MariaDbServer(typeof options === 'function' ? options(i) : options),
  );
  const stopAll = async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  // Over a hundred servers starting at once starve each other past their start timeout: batches.
  for (let first = 0; first < n; first += START_BATCH) {
    const batch = servers.slice(first, first + START_BATCH);
    const started = await Promise.allSettled(batch.map((s) => s.start()));
    const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure !== undefined) {
      await stopAll();
      throw failure.reason;
    }
  }
  return { servers, stopAll };
}
