/**
 * An application under load, in a process of its own (started by applicationLoad.ts):
 *   node --import tsx --import sandbox/loopback-dns.mjs sandbox/applicationLoadProcess.ts <config.json>
 * A new connection with `SELECT 1` every `newConnectionEveryMs`, round-robin over the instances,
 * and `pooledConnections` kept pooled connections each querying every `pooledEveryMs`. SIGUSR2
 * writes the running totals to status.json; SIGTERM (or `maxRunMs`) stops the load, waits for
 * what is in flight and writes every sample to record.json. It prints nothing but a fatal error,
 * and never a value from the secret.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  errorCode,
  type LoadConfig,
  type LoadRecord,
  type QueryKind,
  Recorder,
  STALL_MS,
} from './applicationLoadRecord.ts';
import { type Connector, connectorFor } from './applicationVariants.ts';
import { recordSecretReads } from './secretReads.ts';

// Beyond this many new connections in flight the schedule skips a tick rather than pile up
// (counted): only a server that stopped answering gets there.
const MAX_NEW_IN_FLIGHT = 40;

let stopping: (() => void) | undefined;
const stopped = new Promise<void>((resolve) => {
  stopping = resolve;
});
let snapshotSeq = 0;
let recorder: Recorder | undefined;
let statusFile = '';

// Installed first: SIGUSR2's default action would kill the process.
process.on('SIGUSR2', () => {
  if (recorder !== undefined) writeAtomically(statusFile, recorder.snapshot(++snapshotSeq));
});
process.on('SIGTERM', () => stopping?.());
process.on('SIGINT', () => stopping?.());

function writeAtomically(file: string, value: unknown): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(value));
  renameSync(`${file}.tmp`, file);
}

/** A Secrets Manager client that records every GetSecretValue call (start, latency, label). */
function countingSecretsManager(config: LoadConfig, record: Recorder): SecretsManagerClient {
  const client = new SecretsManagerClient({ endpoint: config.awsEndpoint, region: config.region });
  recordSecretReads(client, record.reads);
  return client;
}

async function timed(record: Recorder, kind: QueryKind, index: number, work: () => Promise<unknown>) {
  const at = Date.now();
  const started = performance.now();
  try {
    await work();
    record.add(kind, [at, performance.now() - started, index, '']);
  } catch (error) {
    record.add(kind, [at, performance.now() - started, index, errorCode(error)]);
  }
}

/** Runs `tick` every `everyMs` until stopped; a late tick is not made up for by a burst. */
async function every(everyMs: number, isRunning: () => boolean, tick: () => Promise<void> | void) {
  let due = performance.now();
  while (isRunning()) {
    await tick();
    due += everyMs;
    const now = performance.now();
    if (due < now) due = now;
    await Promise.race([sleep(due - now), stopped]);
  }
}

// How often the event loop is asked to run: its lateness beyond this is a stall.
const STALL_PROBE_MS = 5;

/** Records every time the event loop runs more than STALL_MS late; returns the stop. */
function watchEventLoop(record: Recorder): () => void {
  let last = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    const late = now - last - STALL_PROBE_MS;
    if (late > STALL_MS) record.stalls.push([Date.now(), Math.round(late)]);
    last = now;
  }, STALL_PROBE_MS);
  return () => clearInterval(probe);
}

async function warmUp(config: LoadConfig, connector: Connector): Promise<void> {
  // One query per pooled worker at once, so that each pool opens the connections it keeps.
  const workers = Array.from({ length: config.pooledConnections }, (_, w) => w % config.instances.length);
  await Promise.all(
    workers.map(async (index) => {
      try {
        await connector.pooled(index).query('SELECT 1');
      } catch (error) {
        const { host, port } = config.instances[index] as { host: string; port: number };
        throw new Error(
          `the ${config.variant} application could not run its first query on ${host}:${port} ` +
            `(${errorCode(error)}): check that the secret's user exists there with AWSCURRENT's password`,
          { cause: error },
        );
      }
    }),
  );
}

async function main(): Promise<void> {
  const config = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as LoadConfig;
  statusFile = join(config.dir, 'status.json');
  const record = new Recorder(config.instances.length);
  const secrets = countingSecretsManager(config, record);
  const connector = await connectorFor(config.variant, {
    secrets,
    secretId: config.secretId,
    instances: config.instances,
    caPem: readFileSync(config.caFile, 'utf8'),
    refreshIntervalMs: config.refreshIntervalMs,
    pooledConnections: config.pooledConnections,
    onSwitch: (index, kind, label, reason) => record.switches.push([Date.now(), index, kind, label, reason]),
  });
  await warmUp(config, connector);
  let endedBy: LoadRecord['endedBy'] = 'stop';
  const bound = setTimeout(() => {
    endedBy = 'time limit';
    stopping?.();
  }, config.maxRunMs);
  let running = true;
  void stopped.then(() => {
    running = false;
  });
  const isRunning = () => running;
  const readyAt = Date.now();
  recorder = record;
  writeAtomically(statusFile, record.snapshot(snapshotSeq));
  const stopWatching = watchEventLoop(record);

  const n = config.instances.length;
  const inFlight = new Set<Promise<void>>();
  let next = 0;
  const newConnections = every(config.newConnectionEveryMs, isRunning, () => {
    if (inFlight.size >= MAX_NEW_IN_FLIGHT) {
      record.skippedNewConnections++;
      return;
    }
    const index = next++ % n;
    const attempt = timed(record, 'new', index, () => connector.newConnection(index));
    inFlight.add(attempt);
    void attempt.finally(() => inFlight.delete(attempt));
  });
  const pooled = Array.from({ length: config.pooledConnections }, (_, w) =>
    every(config.pooledEveryMs, isRunning, () =>
      timed(record, 'pooled', w % n, () => connector.pooled(w % n).query('SELECT 1')),
    ),
  );
  await Promise.all([newConnections, ...pooled]);
  await Promise.all(inFlight);
  const stoppedAt = Date.now();
  stopWatching();
  clearTimeout(bound);
  await connector.end();
  secrets.destroy();
  const result: LoadRecord = {
    variant: config.variant,
    instances: config.instances.map(({ host, port }) => `${host}:${port}`),
    refreshIntervalMs: config.refreshIntervalMs,
    newConnectionEveryMs: config.newConnectionEveryMs,
    pooledEveryMs: config.pooledEveryMs,
    pooledConnections: config.pooledConnections,
    readyAt,
    stoppedAt,
    endedBy,
    newConnections: record.newConnections,
    pooledQueries: record.pooledQueries,
    skippedNewConnections: record.skippedNewConnections,
    reads: record.reads,
    switches: record.switches,
    stalls: record.stalls,
  };
  writeAtomically(join(config.dir, 'record.json'), result);
}

try {
  await main();
  process.exit(0);
} catch (error) {
  // The error's own text (mysql2 and SDK messages name hosts, users and codes, never passwords).
  console.error(`application load failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
}
