// Forces every TCP server in this Node process to listen on 127.0.0.1.
//
// Seam's fake server (@seamapi/fake-seam-connect 1.86.0) calls `server.listen(port)` with no
// host, which Node binds to every interface. This module replaces `net.Server.prototype.listen`
// so that any port-based call listens on 127.0.0.1 whatever host it names, and so that Unix
// socket paths, file descriptors and handles are rejected. `http.Server` inherits this method.
//
// Load it before the fake: `node --import ./loopback.mjs ...`, or import it first, as
// `serve.mjs` does.

import net from 'node:net';

const LOOPBACK_HOST = '127.0.0.1';
const originalListen = net.Server.prototype.listen;

// Builds `listen` options from the arguments of any `server.listen(...)` form, host replaced.
function loopbackOptions(args) {
  const [first, second, third] = args;

  // `listen()` and `listen(undefined | null, ...)`: a random port.
  if (first === undefined || first === null) {
    return { port: 0, host: LOOPBACK_HOST };
  }

  // `listen({ port, host, backlog, ... })`.
  if (typeof first === 'object') {
    if ('path' in first || 'fd' in first || 'handle' in first || '_handle' in first) {
      throw new Error('loopback.mjs: only TCP ports may be listened on, not paths or handles');
    }
    return { ...first, port: first.port ?? 0, host: LOOPBACK_HOST };
  }

  // `listen(port, [host], [backlog])`. Node also reads a number in second place as the
  // backlog.
  const isPort = typeof first === 'number' || /^\d+$/.test(String(first));
  if (!isPort) {
    throw new Error(`loopback.mjs: only TCP ports may be listened on, not ${JSON.stringify(first)}`);
  }
  const options = { port: Number(first), host: LOOPBACK_HOST };
  const backlog = typeof second === 'number' ? second : third;
  if (typeof backlog === 'number') {
    options.backlog = backlog;
  }
  return options;
}

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const callback = typeof args.at(-1) === 'function' ? args.pop() : undefined;
  const options = loopbackOptions(args);
  if (callback === undefined) {
    return originalListen.call(this, options);
  }
  return originalListen.call(this, options, callback);
};

// Lets `serve.mjs` check that the patch is in place before it starts the fake.
globalThis[Symbol.for('seam-edge.loopback-only')] = true;
