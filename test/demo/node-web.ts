// The demo's built-in web server, as a Heartbeat v1 resource script (used when Apache is not installed):
//   node-web ADDRESS start|stop|status|monitor
// run through a two-line sh wrapper the demo puts into each node's resource.d (`node-web::198.51.100.10` in
// haresources). start forks a detached `serve` child that listens on ADDRESS:80 and serves the node's
// /etc/ha.d/www/hostname.html; it returns once the child listens (pid file /run/node-web.pid, written after
// listen), 10 s at most. stop sends SIGTERM, then SIGKILL after 5 s, and returns once the process is gone.
// status prints one word, "running" (exit 0) or "stopped" (exit 3), as Heartbeat's ResourceManager expects.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const PID_FILE = '/run/node-web.pid';
const LOG_FILE = '/var/log/node-web.log';
const ROOT = '/etc/ha.d/www';
const START_LIMIT_MS = 10_000;
const STOP_LIMIT_MS = 5_000;
const STEP_MS = 10;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The pid in the pid file when it is a live `node-web … serve` process (a stale file or a reused pid is not). */
function servingPid(): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(PID_FILE, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a.endsWith('node-web.js')) && argv.includes('serve') ? pid : undefined;
  } catch {
    return undefined;
  }
}

function serve(address: string): void {
  const server = http.createServer((req, res) => {
    const name = (req.url ?? '/').split('?')[0]?.replace(/^\/+/, '') || 'hostname.html';
    if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) {
      res.writeHead(404).end();
      return;
    }
    fs.readFile(`${ROOT}/${name}`, (err, body) => {
      if (err !== null) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': name.endsWith('.html') ? 'text/html' : 'text/plain' }).end(body);
    });
  });
  server.on('error', (e) => {
    console.error(`node-web: ${address}:80: ${e.message}`);
    process.exit(1);
  });
  server.listen(80, address, () => fs.writeFileSync(PID_FILE, `${process.pid}\n`));
  const quit = (): void => {
    try {
      fs.rmSync(PID_FILE, { force: true });
    } finally {
      process.exit(0);
    }
  };
  process.once('SIGTERM', quit);
  process.once('SIGINT', quit);
}

async function start(address: string): Promise<number> {
  if (servingPid() !== undefined) return 0;
  fs.rmSync(PID_FILE, { force: true });
  const log = fs.openSync(LOG_FILE, 'a');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), address, 'serve'], { detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  child.unref();
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  for (let waited = 0; waited < START_LIMIT_MS; waited += STEP_MS) {
    if (servingPid() !== undefined) return 0;
    if (exited !== undefined) {
      console.error(`node-web: the server exited (${exited}) before listening on ${address}:80; see ${LOG_FILE}`);
      return 1;
    }
    await sleep(STEP_MS);
  }
  console.error(`node-web: not listening on ${address}:80 after ${START_LIMIT_MS} ms`);
  return 1;
}

async function stop(): Promise<number> {
  const pid = servingPid();
  if (pid === undefined) {
    fs.rmSync(PID_FILE, { force: true });
    return 0;
  }
  for (const [signal, limit] of [['SIGTERM', STOP_LIMIT_MS], ['SIGKILL', 2000]] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
    for (let waited = 0; waited < limit; waited += STEP_MS) {
      if (!fs.existsSync(`/proc/${pid}`)) {
        fs.rmSync(PID_FILE, { force: true });
        return 0;
      }
      await sleep(STEP_MS);
    }
    if (signal === 'SIGTERM') console.error(`node-web: pid ${pid} still running ${limit} ms after SIGTERM: SIGKILL`);
  }
  console.error(`node-web: pid ${pid} survived SIGKILL`);
  return 1;
}

async function main(argv: readonly string[]): Promise<number> {
  const [address, action] = argv;
  if (address === undefined || action === undefined || argv.length !== 2 || !/^[\d.]+$/.test(address)) {
    console.error('usage: node-web ADDRESS start|stop|status|monitor   (haresources: node-web::198.51.100.10)');
    return 2;
  }
  switch (action) {
    case 'serve':
      serve(address);
      return -1;
    case 'start':
      return start(address);
    case 'stop':
      return stop();
    case 'status':
    case 'monitor': {
      const up = servingPid() !== undefined;
      console.log(up ? 'running' : 'stopped');
      return up ? 0 : 3;
    }
    default:
      console.error(`node-web: unknown action "${action}"`);
      return 2;
  }
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
