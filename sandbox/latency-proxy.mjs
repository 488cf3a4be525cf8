// A group of delaying TCP proxies in a process of their own, so that their timers never compete
// with the code whose network they slow down (see sandbox/latencyProxyProcess.ts):
//   node latency-proxy.mjs <delay ms each way> <upstream port>...
// Listens on 127.0.0.1, one port per upstream port, and prints one JSON line {"ports":[...]} (in
// the order of the upstream ports) once every proxy listens. Stopped by a signal.
import { createServer, connect as tcpConnect } from 'node:net';

const [delayArg, ...upstreamArgs] = process.argv.slice(2);
const delayMs = Number(delayArg);
const upstreamPorts = upstreamArgs.map(Number);
if (!(delayMs >= 0) || upstreamPorts.length === 0 || upstreamPorts.some((port) => !(port > 0))) {
  console.error('usage: node latency-proxy.mjs <delay ms each way> <upstream port>...');
  process.exit(2);
}

/**
 * Forwards `from` to `to`, each chunk `delayMs` after it arrived: a wire with that one-way
 * latency. Chunks that arrive together leave together rather than one delay after the other,
 * and never out of order.
 */
function delayedForward(from, to) {
  let lastDue = 0;
  from.on('data', (chunk) => {
    const due = Math.max(performance.now() + delayMs, lastDue);
    lastDue = due;
    setTimeout(
      () => {
        if (!to.destroyed) to.write(chunk);
      },
      Math.max(0, due - performance.now()),
    );
  });
}

function carry(client, upstreamPort) {
  const upstream = tcpConnect(upstreamPort, '127.0.0.1');
  for (const socket of [client, upstream]) {
    // Without it, delayed writes meet the peer's delayed ACKs: tens of milliseconds that no real
    // network of this latency adds.
    socket.setNoDelay(true);
    socket.on('error', () => {
      client.destroy();
      upstream.destroy();
    });
    // Closed only once the delayed data before the close has been written.
    socket.on('end', () => setTimeout(() => (socket === client ? upstream : client).end(), delayMs + 1));
    socket.on('close', () =>
      setTimeout(() => (socket === client ? upstream : client).destroy(), delayMs + 1),
    );
  }
  delayedForward(client, upstream);
  delayedForward(upstream, client);
}

function listen(upstreamPort) {
  return new Promise((resolve, reject) => {
    const server = createServer((client) => carry(client, upstreamPort));
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve(server.address().port));
  });
}

const ports = [];
for (const upstreamPort of upstreamPorts) ports.push(await listen(upstreamPort));
process.stdout.write(`${JSON.stringify({ ports })}\n`);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
