// A medium as a process, for netns tests: `node dist/test/helpers/media-peer.js '<Medium JSON>'`, commands on stdin, events on stdout.
//
// Run inside a lab node (netns-extra.ts: startMediaPeer), so its sockets live in that node's namespace.
// stdin, one command per line, handled in order:
//   send <base64>    adapter.send() of one frame (the packet; the message part is an empty placeholder)
//   close            adapter.close(); prints `closed` (or `close-failed <text>`)
//   sync <token>     prints `synced <token>` once every earlier command has been handled
// stdout, one event per line:
//   ready | start-failed <text>       after start() resolved / rejected (then it exits 2)
//   frame <base64>                    one received frame, bytes unchanged
//   problem <text>                    MediumListener.problem
//   send-threw <text>                 send() threw (it never should)
// End of stdin closes the adapter and the process exits 0.
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import type { Medium } from '../../src/config/model.js';
import type { MediumAdapter, MediumListener } from '../../src/media/medium.js';
import { createUdpMedium } from '../../src/media/udp-media.js';
import { makeMessage } from '../../src/wire/index.js';

/** One line of output: newlines in text would split the event, so they become spaces. */
function emit(event: string, text = ''): void {
  process.stdout.write(text === '' ? `${event}\n` : `${event} ${text.replace(/[\r\n]+/g, ' ')}\n`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The adapter for a medium; serial joins here when it exists. */
export function createMediumAdapter(medium: Medium): MediumAdapter | undefined {
  return createUdpMedium(medium);
}

export function parseMedium(json: string | undefined): Medium {
  const parsed: unknown = JSON.parse(json ?? 'null');
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { kind?: unknown }).kind !== 'string') {
    throw new Error(`media-peer: argv[2] must be a Medium as JSON, got ${json ?? 'nothing'}`);
  }
  return parsed as Medium;
}

async function main(medium: Medium): Promise<number> {
  const adapter = createMediumAdapter(medium);
  if (adapter === undefined) {
    emit('start-failed', `no adapter for medium kind ${medium.kind}`);
    return 2;
  }
  const listener: MediumListener = {
    frame: (bytes) => emit('frame', Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')),
    problem: (text) => emit('problem', text),
  };
  try {
    await adapter.start(listener);
  } catch (err) {
    emit('start-failed', errorText(err));
    return 2;
  }
  emit('ready');
  const placeholder = makeMessage([]);
  const handle = async (line: string): Promise<void> => {
    const [cmd = '', arg = ''] = line.split(' ', 2);
    if (cmd === 'send') {
      try {
        adapter.send({ packet: Buffer.from(arg, 'base64'), message: placeholder });
      } catch (err) {
        emit('send-threw', errorText(err));
      }
    } else if (cmd === 'close') {
      await adapter.close().then(() => emit('closed'), (err: unknown) => emit('close-failed', errorText(err)));
    } else if (cmd === 'sync') {
      emit('synced', arg);
    } else if (cmd !== '') {
      emit('problem', `media-peer: unknown command ${JSON.stringify(cmd)}`);
    }
  };
  let queue = Promise.resolve();
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on('line', (line) => (queue = queue.then(() => handle(line))));
  await new Promise<void>((resolve) => lines.once('close', resolve));
  await queue;
  await adapter.close();
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(parseMedium(process.argv[2])).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`media-peer: ${errorText(err)}\n`);
      process.exitCode = 1;
    },
  );
}
