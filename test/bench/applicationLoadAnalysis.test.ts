import { describe, expect, it } from 'vitest';
import {
  failuresByInstance,
  fallbackConnections,
  readsOfBothLabels,
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
    stalls: [],
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
    expect(summary.latency.readBothMs).toBe(40);
  });

  it("counts the load process's event-loop stalls in the period only", () => {
    const load = record({
      stalls: [
        [500, 30],
        [1_500, 80],
        [1_700, 25],
        [9_000, 400],
      ],
    });

    expect(summarizeRotations(load, { from: 1_000, to: 2_000 }, []).stalls).toEqual({
      count: 2,
      totalMs: 105,
      longestMs: 80,
    });
  });

  it('times a read of both labels from its first call to its last answer', () => {
    expect(
      readsOfBothLabels([
        [100, 10, 'AWSCURRENT', ''], // a refresh of AWSCURRENT alone
        [500, 20, 'AWSCURRENT', ''],
        [501, 35, 'AWSPENDING', ''], // asked a millisecond later, answered after AWSCURRENT
        [900, 15, 'AWSPENDING', ''], // no AWSCURRENT with it
        [1_300, 14, 'AWSCURRENT', ''],
        [1_306, 14, 'AWSPENDING', ''], // the SDK started it 6 ms after AWSCURRENT
      ]),
    ).toEqual([
      { at: 500, ms: 36 },
      { at: 1_300, ms: 20 },
    ]);
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

    expect(fallbackConnections(load)).toEqual([
      { sample: refusedFirst, switchAt: 1_100, readFrom: 1_030, waitedForRead: true },
    ]);
    expect(summarizeRotations(load, { from: 0, to: 2_000 }, [{ from: 950, to: 1_150 }]).latency).toEqual({
      outsideMs: 20,
      insideMs: 120,
      fallback: {
        connections: 1,
        fromCache: 0,
        medianMs: 120,
        refusedLoginMs: 30,
        readWaitMs: 70,
        loginMs: 20,
      },
      readMs: 70,
      readBothMs: 70,
    });
  });

  it('keeps fallbacks that found AWSPENDING already read out of the medians, and counts them', () => {
    const joinedAnotherPoolsRead = ok(1_000, 90, 1);
    const fromCache = ok(3_000, 25, 2);
    const load = record({
      newConnections: [ok(500, 20, 0), joinedAnotherPoolsRead, fromCache, ok(4_000, 20, 0)],
      // Another pool's refused login read both labels from 990 to 1_050.
      reads: [
        [990, 60, 'AWSCURRENT', ''],
        [990, 60, 'AWSPENDING', ''],
      ],
      switches: [
        [1_051, 1, 'new', 'AWSPENDING', 'access-denied'],
        [3_010, 2, 'new', 'AWSPENDING', 'access-denied'],
      ],
    });

    expect(fallbackConnections(load)).toEqual([
      { sample: joinedAnotherPoolsRead, switchAt: 1_051, waitedForRead: true },
      { sample: fromCache, switchAt: 3_010, waitedForRead: false },
    ]);
    expect(
      summarizeRotations(load, { from: 0, to: 5_000 }, [{ from: 900, to: 3_100 }]).latency.fallback,
    ).toEqual({
      connections: 2,
      fromCache: 1,
      medianMs: 90,
      refusedLoginMs: null,
      readWaitMs: null,
      loginMs: 39,
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
