import type { Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';

// Ports handed out by this process. The kernel may return a port again as soon as the probe
// socket is closed, so servers started in parallel could otherwise be given the same one.
const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that nothing listens on right now (racy across processes). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await probePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port of a probe socket'));
      });
    });
  });
}

/** Starts `server` listening on a port of 127.0.0.1 chosen by the kernel, and returns that port. */
export async function listenOnLoopback(server: Server | HttpServer): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('the server has no port');
  return address.port;
}
