// Runs our API server on a path with a fake view, for tests that point the real cl_status at it.
//
//   node dist/test/helpers/api-server-main.js SOCKET_PATH SITUATION_JSON
//
// Prints "listening" once the socket accepts connections and each log line to stderr; exits on SIGTERM or
// SIGINT (closing the server and removing the socket file). Stdin is not watched: starters give /dev/null.
import { ApiServer } from '../../src/api/server.js';
import { fakeView, type FakeSituation } from './api-fake-view.js';

async function main(): Promise<void> {
  const [path, json] = process.argv.slice(2);
  if (path === undefined || json === undefined) {
    process.stderr.write('usage: api-server-main SOCKET_PATH SITUATION_JSON\n');
    process.exit(2);
  }
  const situation = JSON.parse(json) as FakeSituation;
  const server = await ApiServer.listen({
    path,
    view: fakeView(situation),
    log: (level, text) => process.stderr.write(`${level}: ${text}\n`),
    onClusterSend: (m) => process.stderr.write(`cluster-send: ${m.fields.map((f) => f.name).join(',')}\n`),
  });
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write('listening\n');
}

void main();
