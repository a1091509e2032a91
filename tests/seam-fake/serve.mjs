// Starts Seam's fake server with its demo data on 127.0.0.1 and a random port.
//
// Prints one line, `listening 127.0.0.1:PORT`, on stdout once the server accepts connections.
// Exits when its standard input closes, so the fake stops with the test process that started
// it, even when that process is killed.
//
// Usage: node tests/seam-fake/serve.mjs (after `npm ci --prefix tests`)

// Imported first so that the patch is installed before the fake's code runs.
import './loopback.mjs';

import process from 'node:process';

import { createFake } from '@seamapi/fake-seam-connect';

function fail(message) {
  process.stderr.write(`serve.mjs: ${message}\n`);
  process.exit(1);
}

if (globalThis[Symbol.for('seam-edge.loopback-only')] !== true) {
  fail('the loopback patch is not installed; refusing to listen on every interface');
}

// `fake.seed()` creates, among others, the API key `seam_apikey1_token` for the workspace
// `seed_workspace_1` and the personal access token `seam_at1_longtoken`, a member of it.
const fake = await createFake();
await fake.seed();

// Port 0 lets the kernel choose a free port. NOTE: the fake builds the URLs in its responses
// (Connect Webviews, for one) from the requested port, so they read `http://localhost:0`.
// The routes that the tests call return no such URL.
const started = await fake.startServer({ port: 0 });
const address = started.server.address();
if (address === null || typeof address !== 'object' || address.address !== '127.0.0.1') {
  fail(`expected to listen on 127.0.0.1, found ${JSON.stringify(address)}`);
}
process.stdout.write(`listening 127.0.0.1:${address.port}\n`);

process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
