import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { listenOnLoopback } from '../../sandbox/ports.ts';

/** A TCP echo server on 127.0.0.1: the far end of a ping through a latency proxy. */
export async function startEchoServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
  const port = await listenOnLoopback(server);
  return {
    port,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Round trips of one byte over one TCP connection to `port` (an echo server, or a proxy in front of
 * one), one after the other, after `warmUp` untimed ones; milliseconds each.
 */
export async function tcpPing(port: number, count: number, warmUp = 5): Promise<number[]> {
  const socket = tcpConnect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const samples: number[] = [];
  try {
    for (let n = 0; n < warmUp + count; n++) {
      const started = performance.now();
      await new Promise<void>((resolve, reject) => {
        socket.once('data', () => resolve());
        socket.once('error', reject);
        socket.write('p');
      });
      if (n >= warmUp) samples.push(performance.now() - started);
      socket.removeAllListeners('error');
    }
  } finally {
    socket.destroy();
  }
  return samples;
}
