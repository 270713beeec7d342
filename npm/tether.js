'use strict';
// Runs the server for `index.js` and ties its life to the test process that started it:
//
//   node tether.js BINARY ARGS...
//
// The server's stdout and stderr are this process's (pipes to the test process). Its stdin is a
// pipe from the test process that nothing writes to: it closes when the test process ends, even
// by SIGKILL, and the server is then stopped. SIGTERM / SIGINT are passed on to the server (it
// finishes in-flight requests); a server that has not exited 10 s later is killed. This process
// exits with the server's status.

const { spawn } = require('node:child_process');

const [binary, ...args] = process.argv.slice(2);
const KILL_AFTER_MS = 10_000;

const server = spawn(binary, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;

function stop(signal) {
  if (stopping) return;
  stopping = true;
  if (server.exitCode === null && server.signalCode === null) server.kill(signal);
  setTimeout(() => server.kill('SIGKILL'), KILL_AFTER_MS).unref();
}

server.once('spawn', () => process.stdout.write(`wecom-mock pid ${server.pid}\n`));
server.once('error', (err) => {
  process.stderr.write(`wecom-mock: cannot start ${binary}: ${err.message}\n`);
  process.exit(127);
});
server.once('exit', (code, signal) => {
  // Exit with the server's status: 0 after a clean SIGTERM, 128 + n after a signal it died of.
  process.exit(code ?? 128 + (require('node:os').constants.signals[signal] ?? 0));
});

process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGTERM'));
process.stdin.on('end', () => stop('SIGTERM'));
process.stdin.on('error', () => stop('SIGTERM'));
process.stdin.resume();
