// Starts one of the example servers for an interop test and stops it again, by its PID.
//
// startServer(binary, pattern) runs `binary --port 0 --log-level warn`, waits (bounded) for a
// stdout line matching `pattern` (whose first group is the port) and resolves to
// { child, port }. stopServer(child) sends SIGTERM (a graceful shutdown), falls back to
// SIGKILL after a grace period, and resolves to { code, signal }. The server's stderr is
// passed through, so that sanitizer reports reach the test log.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export function startServer(binary, pattern, { timeoutMs = 15000, args = [] } = {}) {
  const child = spawn(binary, ['--port', '0', '--log-level', 'warn', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const fail = (why) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(why), { child }));
    };
    const timer = setTimeout(() => fail(`${binary}: no "listening" line in ${timeoutMs} ms`),
                             timeoutMs);
    child.once('error', (e) => fail(`${binary}: ${e.message}`));
    child.once('exit', (code, signal) => fail(`${binary} exited early (${code ?? signal})`));
    lines.on('line', (line) => {
      const m = pattern.exec(line);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ child, port: Number(m[1]) });
    });
  });
}

export function stopServer(child, { graceMs = 10000 } = {}) {
  if (!child || child.pid === undefined) return Promise.resolve({ code: null, signal: null });
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      process.stderr.write(`pid ${child.pid} ignored SIGTERM for ${graceMs} ms: SIGKILL\n`);
      process.kill(child.pid, 'SIGKILL');
    }, graceMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
    process.kill(child.pid, 'SIGTERM');
  });
}
