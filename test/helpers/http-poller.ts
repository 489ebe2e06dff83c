// The client of the resource benchmark and the web netns tests: GET a URL on a fixed cadence, each request on a new connection, one line per answer.
//
//   node http-poller.js URL OUTFILE INTERVAL_MS TIMEOUT_MS MAX_MS
//
// A request starts every INTERVAL_MS whether or not the earlier ones have finished (at most MAX_IN_FLIGHT at
// once), so one request stuck on a dead address does not hide the moment the service is back. Each request
// opens its own TCP connection (no keep-alive: a kept connection would stay with the old server) and is
// abandoned after TIMEOUT_MS. OUTFILE gets one line per request once it ends:
//   START_MS END_MS BODY     (BODY = the page's first word, "-" when the request failed or timed out)
// times are Date.now() of this process. Runs MAX_MS at most (and MAX_MS / INTERVAL_MS requests at most), or
// until SIGTERM.
import fs from 'node:fs';
import http from 'node:http';

const MAX_IN_FLIGHT = 32;

const [url, outFile, intervalArg, timeoutArg, maxArg] = process.argv.slice(2);
if (url === undefined || outFile === undefined) {
  process.stderr.write('usage: http-poller URL OUTFILE INTERVAL_MS TIMEOUT_MS MAX_MS\n');
  process.exit(2);
}
const intervalMs = Math.max(5, Number(intervalArg ?? '20') || 20);
const timeoutMs = Math.max(10, Number(timeoutArg ?? '300') || 300);
const maxMs = Math.max(1000, Number(maxArg ?? '600000') || 600_000);
const maxCount = Math.ceil(maxMs / intervalMs);

const out = fs.createWriteStream(outFile, { flags: 'a' });
let inFlight = 0;
let sent = 0;
const t0 = Date.now();

function once(): void {
  if (inFlight >= MAX_IN_FLIGHT) return;
  inFlight++;
  sent++;
  const start = Date.now();
  let done = false;
  const finish = (body: string): void => {
    if (done) return;
    done = true;
    inFlight--;
    out.write(`${start} ${Date.now()} ${body}\n`);
  };
  const req = http.get(url as string, { agent: false, timeout: timeoutMs }, (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (text += c));
    res.on('end', () => finish(res.statusCode === 200 ? (text.trim().split(/\s+/)[0] ?? '-') || '-' : '-'));
    res.on('error', () => finish('-'));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => finish('-'));
  // A hard stop too: `timeout` is an idle timer, this one bounds the whole request.
  setTimeout(() => {
    if (!done) req.destroy(new Error('deadline'));
  }, timeoutMs).unref();
}

const timer = setInterval(() => {
  if (Date.now() - t0 >= maxMs || sent >= maxCount) stop();
  else once();
}, intervalMs);

function stop(): void {
  clearInterval(timer);
  out.end(() => process.exit(0));
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stderr.write(`http-poller: polling ${url} every ${intervalMs} ms\n`);
