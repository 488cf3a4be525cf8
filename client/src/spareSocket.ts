import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** How the pool's connections reach the server: mysql2's settings for the sockets it opens. */
export interface SocketTarget {
  host: string;
  port: number;
  enableKeepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

// A server drops a connection that has not logged in after connect_timeout (at least 2 s on
// MySQL, 10 s by default on MySQL, MariaDB and RDS): a spare older than this is not used.
const SPARE_MAX_AGE_MS = 1_000;

/**
 * A TCP connection to the server, opened while a refused login waits for the read of the
 * secret, so that the next login does not also wait for TCP's handshake and the server's
 * greeting (a round trip or more on a network; 0.7 ms even on loopback). It carries nothing
 * secret: mysql2 runs the whole login on it, TLS included, as on a socket it opened itself.
 *
 * The next login takes it, or it is destroyed at once; it is never left open. A server counts a
 * connection closed before its login as a handshake error, and blocks a host once
 * `max_connect_errors` of them come with no successful login in between: so a spare is opened
 * only where a login follows within moments (see `openWithRotation`).
 */
export class SpareSocket {
  private socket: Socket | undefined;
  private readonly openedAt = performance.now();

  constructor(target: SocketTarget) {
    const socket = connect(target.port, target.host);
    // As mysql2 sets up the sockets it opens.
    socket.setNoDelay(true);
    if (target.enableKeepAlive === true) {
      socket.once('connect', () => socket.setKeepAlive(true, target.keepAliveInitialDelay));
    }
    // A failure before a login takes it (the server is down) must not crash the process: `take`
    // then finds it destroyed, and the login opens a socket of its own (and meets the failure).
    socket.on('error', () => undefined);
    this.socket = socket;
  }

  /** The socket for the next login; undefined (and destroyed) if it failed or is too old. */
  take(): Socket | undefined {
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined) return undefined;
    if (socket.destroyed || performance.now() - this.openedAt > SPARE_MAX_AGE_MS) {
      socket.destroy();
      return undefined;
    }
    return socket;
  }

  /** Destroys it unless a login took it. */
  discard(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}
