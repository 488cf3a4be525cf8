import { describe, expect, it } from 'vitest';
import {
  failuresByInstance,
  fallbackConnections,
  steadyReads,
  summarizeRotations,
  tally,
} from '../../sandbox/applicationLoadAnalysis.ts';
import type { LoadRecord, Sample } from '../../sandbox/applicationLoadRecord.ts';

// How an application's samples are read against the rotations the bench saw: failures inside and
// outside the windows, the connection that paid for a fallback, reads against the refresh interval.
function record(changes: Partial<LoadRecord> = {}): LoadRecord {
  return {
    variant: 'client',
    instances: ['db0:3306', 'db1:3306'],
    refreshIntervalMs: 5_000,
    newConnectionEveryMs: 20,
    pooledEveryMs: 50,
    pooledConnections: 4,
    readyAt: 0,
    stoppedAt: 100_000,
    endedBy: 'stop',
    newConnections: [],
    pooledQueries: [],
    skippedNewConnections: 0,
    reads: [],
    switches: [],
    ...changes,
  };
}

const ok = (at: number, ms: number, instance = 0): Sample => [at, ms, instance, ''];
const failed = (at: number, code: string, instance = 0): Sample => [at, 5, instance, code];

describe('the application load analysis', () => {
  it('counts attempts and failures by code', () => {
    const samples = [
      ok(1, 10),
      failed(2, 'ER_ACCESS_DENIED_ERROR'),
      failed(3, 'ER_ACCESS_DENIED_ERROR'),
      failed(4, 'ECONNREFUSED'),
    ];

    expect(tally(samples)).toEqual({
      attempts: 4,
      failed: 3,
      byCode: { ER_ACCESS_DENIED_ERROR: 2, ECONNREFUSED: 1 },
    });
  });

  it('separates failures inside the windows from those outside, within the period only', () => {
    const load = record({
      newConnections: [
        failed(500, 'ER_ACCESS_DENIED_ERROR'), // before the period
        failed(1_500, 'ER_ACCESS_DENIED_ERROR'), // in the first window
        ok(2_500, 10),
        failed(3_100, 'ER_ACCESS_DENIED_ERROR'), // between the windows
        failed(4_000, 'ER_ACCESS_DENIED_ERROR'), // in the second window
      ],
      pooledQueries: [ok(1_200, 1), failed(3_900, 'PROTOCOL_CONNECTION_LOST')],
      reads: [
        [900, 10, 'AWSCURRENT', ''],
        [1_600, 30, 'AWSCURRENT', ''],
        [1_600, 40, 'AWSPENDING', ''],
      ],
    });

    const summary = summarizeRotations(load, { from: 1_000, to: 5_000 }, [
      { from: 1_400, to: 2_000 },
      { from: 3_500, to: 4_400 },
    ]);

    expect(summary.rotations).toBe(2);
    expect(summary.windowMs).toEqual({ median: 750, min: 600, max: 900 });
    expect(summary.newConnections).toEqual({
      attempts: 4,
      failed: 3,
      byCode: { ER_ACCESS_DENIED_ERROR: 3 },
      failedInWindows: 2,
    });
    expect(summary.pooledQueries).toMatchObject({ attempts: 2, failed: 1 });
    expect(summary.secretReads).toEqual({ total: 2, perRotation: 1 });
    // Inside the windows only: the read at 900 came before the first.
    expect(summary.latency.readMs).toBe(35);
  });

  it('takes the first connection in flight at a switch after a refused login as the one that paid for it', () => {
    const refusedFirst = ok(1_000, 120, 1);
    const joinedTheRead = ok(1_040, 80, 1);
    const load = record({
      newConnections: [
        ok(900, 20, 1), // over before the switch
        refusedFirst,
        joinedTheRead,
        ok(1_010, 200, 0), // another instance
        ok(1_200, 20, 1),
      ],
      // A background refresh before the connection, then the refused login's read of both labels.
      reads: [
        [990, 10, 'AWSPENDING', ''],
        [1_030, 70, 'AWSCURRENT', ''],
        [1_030, 70, 'AWSPENDING', ''],
      ],
      switches: [
        [1_100, 1, 'new', 'AWSPENDING', 'access-denied'],
        [1_100, 0, 'pooled', 'AWSPENDING', 'access-denied'],
        [1_100, 0, 'new', 'AWSCURRENT', 'current-changed'],
      ],
    });

    expect(fallbackConnections(load)).toEqual([{ sample: refusedFirst, switchAt: 1_100, readFrom: 1_030 }]);
    expect(summarizeRotations(load, { from: 0, to: 2_000 }, [{ from: 950, to: 1_150 }]).latency).toEqual({
      outsideMs: 20,
      insideMs: 120,
      fallback: { connections: 1, medianMs: 120, refusedLoginMs: 30, readWaitMs: 70, loginMs: 20 },
      readMs: 70,
    });
  });

  it('allows one read per refresh interval in a period without rotations', () => {
    const load = record({
      reads: [
        [100, 10, 'AWSCURRENT', ''],
        [5_200, 10, 'AWSCURRENT', ''],
        [10_300, 10, 'AWSCURRENT', ''],
        [12_500, 10, 'AWSCURRENT', ''],
      ],
    });

    expect(steadyReads(load, { from: 1_000, to: 13_000 })).toEqual({
      seconds: 12,
      refreshIntervalMs: 5_000,
      reads: 3,
      limit: 3,
    });
  });

  it('counts failures by instance in a period', () => {
    const load = record({
      newConnections: [failed(100, 'ECONNREFUSED', 1), failed(200, 'ECONNREFUSED', 1), ok(300, 5, 0)],
      pooledQueries: [failed(150, 'PROTOCOL_CONNECTION_LOST', 1), failed(9_000, 'ECONNREFUSED', 0)],
    });

    const [first, second] = failuresByInstance(load, { from: 0, to: 1_000 });

    expect(first).toEqual({ attempts: 1, failed: 0, byCode: {} });
    expect(second).toEqual({
      attempts: 3,
      failed: 3,
      byCode: { ECONNREFUSED: 2, PROTOCOL_CONNECTION_LOST: 1 },
    });
  });
});
