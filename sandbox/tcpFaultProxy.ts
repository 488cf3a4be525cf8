import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { listenOnLoopback } from './ports.ts';

/**
 * What the proxy does to the MySQL connections it carries:
 * - `pass`: forwards bytes untouched;
 * - `delay`: holds every chunk, in both directions, for `ms` (a slow network or a slow server);
 * - `noTls`: clears the CLIENT_SSL flag in the server greeting, as a server without TLS would;
 * - `cutAfterChange`: on the first connection that gets that far, lets the password-change
 *   statement reach the server, waits for the server's answer (the change is then done), drops
 *   that answer and closes both sides; `onChange` runs first (to kill the server, say).
 */
export type TcpFault =
  | { kind: 'pass' }
  | { kind: 'delay'; ms: number }
  | { kind: 'noTls' }
  | { kind: 'cutAfterChange'; onChange?: () => Promise<void> };

// The client's plaintext SSLRequest packet (4-byte header + 32 bytes) precedes the TLS records.
const SSL_REQUEST_BYTES = 36;
// The client's TLS application-data record that carries the password change, counted on the
// session that logs in with the current password: measured against this mysql2 and OpenSSL (the
// TLS 1.3 handshake tail, the login, the one login query, then the change).
// The "cut after the change" scenarios check that the server did change the password, so a
// drift in this number fails them instead of passing silently.
export const CHANGE_RECORD_INDEX = 5;
const TLS_APPLICATION_DATA = 0x17;
// Lower two bytes of the capability flags in the initial handshake packet.
const CLIENT_SSL = 0x0800;

/**
 * A TCP proxy on 127.0.0.1 in front of one MariaDB server: RDS instance records point at it, so
 * the function's connections pass through it while the tests' own checks go to the server.
 */
export class TcpFaultProxy {
  fault: TcpFault = { kind: 'pass' };
  /**
   * Runs before the n-th connection since the last `set()` reaches the server (n from 1), so a
   * test can change the server between two logins of one invocation (lock the account, say).
   */
  onConnect: ((n: number) => Promise<void>) | undefined;
  private connections = 0;
  private cutDone = false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly upstreamPort: number,
  ) {}

  static async start(upstreamPort: number): Promise<TcpFaultProxy> {
    const server = createServer();
    const proxy = new TcpFaultProxy(server, await listenOnLoopback(server), upstreamPort);
    server.on('connection', (client) => proxy.carry(client));
    return proxy;
  }

  set(fault: TcpFault, onConnect?: (n: number) => Promise<void>): void {
    this.fault = fault;
    this.onConnect = onConnect;
    this.connections = 0;
    this.cutDone = false;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private carry(client: Socket): void {
    const n = ++this.connections;
    if (this.onConnect === undefined) {
      this.pipe(client);
      return;
    }
    client.pause();
    this.onConnect(n).then(
      () => {
        this.pipe(client);
        client.resume();
      },
      () => client.destroy(),
    );
  }

  private pipe(client: Socket): void {
    const fault = this.fault;
    const upstream = tcpConnect(this.upstreamPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      // Without it, delayed writes meet the peer's delayed ACKs: ~40 ms more per TLS login,
      // a stall of this proxy that no real network adds.
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    const forward = (from: Socket, to: Socket, transform: (chunk: Buffer) => Buffer | Promise<Buffer>) => {
      // Chunks are handled one at a time so that a delay never reorders them.
      let queue = Promise.resolve();
      from.on('data', (chunk: Buffer) => {
        queue = queue.then(async () => {
          const out = await transform(chunk);
          if (out.length > 0 && !to.destroyed) to.write(out);
        });
      });
    };
    if (fault.kind === 'delay') {
      const delayed = async (chunk: Buffer) => {
        await sleep(fault.ms);
        return chunk;
      };
      forward(client, upstream, delayed);
      forward(upstream, client, delayed);
      return;
    }
    if (fault.kind === 'noTls') {
      let greeted = false;
      forward(client, upstream, (chunk) => chunk);
      forward(upstream, client, (chunk) => {
        if (!greeted) {
          greeted = true;
          return withoutTlsFlag(chunk);
        }
        return chunk;
      });
      return;
    }
    if (fault.kind === 'cutAfterChange' && !this.cutDone) {
      const records = new TlsRecordCounter();
      let changeSent = false;
      forward(client, upstream, (chunk) => {
        if (records.feed(chunk) >= CHANGE_RECORD_INDEX && !changeSent && !this.cutDone) {
          changeSent = true;
          this.cutDone = true;
        }
        return chunk;
      });
      forward(upstream, client, async (chunk) => {
        if (!changeSent) return chunk;
        await fault.onChange?.();
        client.destroy();
        upstream.destroy();
        return Buffer.alloc(0);
      });
      return;
    }
    forward(client, upstream, (chunk) => chunk);
    forward(upstream, client, (chunk) => chunk);
  }
}

/** The server greeting with CLIENT_SSL cleared: header(4) protocol(1) version\0 id(4) salt(8) filler(1) caps(2). */
function withoutTlsFlag(greeting: Buffer): Buffer {
  const copy = Buffer.from(greeting);
  const versionEnd = copy.indexOf(0, 5);
  const capabilities = versionEnd + 1 + 4 + 8 + 1;
  copy.writeUInt16LE(copy.readUInt16LE(capabilities) & ~CLIENT_SSL, capabilities);
  return copy;
}

/** Counts the client's TLS application-data records across chunk boundaries. */
class TlsRecordCounter {
  private skip = SSL_REQUEST_BYTES;
  private pending = Buffer.alloc(0);
  private count = 0;

  feed(chunk: Buffer): number {
    let data = chunk;
    if (this.skip > 0) {
      const skipped = Math.min(this.skip, data.length);
      this.skip -= skipped;
      data = data.subarray(skipped);
    }
    this.pending = Buffer.concat([this.pending, data]);
    while (this.pending.length >= 5) {
      const length = this.pending.readUInt16BE(3);
      if (this.pending.length < 5 + length) break;
      if (this.pending[0] === TLS_APPLICATION_DATA) this.count++;
      this.pending = this.pending.subarray(5 + length);
    }
    return this.count;
  }
}
