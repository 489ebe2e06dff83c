// The demo's built-in web server (used where Apache is not installed): `node node-web.js ADDRESS` listens on
// ADDRESS:80 and serves the node's /etc/ha.d/www (hostname.html names the node). It writes /run/node-web.pid
// once it listens and removes it on SIGTERM. test/demo/node-web.sh is the resource script that starts, stops
// and reports it the Heartbeat v1 way.
import fs from 'node:fs';
import http from 'node:http';

const PID_FILE = '/run/node-web.pid';
const ROOT = '/etc/ha.d/www';

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
    fs.rmSync(PID_FILE, { force: true });
    process.exit(0);
  };
  process.once('SIGTERM', quit);
  process.once('SIGINT', quit);
}

const [address, ...rest] = process.argv.slice(2);
if (address === undefined || rest.length > 0 || !/^\d+\.\d+\.\d+\.\d+$/.test(address)) {
  console.error('usage: node node-web.js ADDRESS   (run by the resource script test/demo/node-web.sh)');
  process.exitCode = 2;
} else {
  serve(address);
}
