// Self-test of test/helpers/netns.ts: a lab comes up wired as documented and leaves nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { assertTestAddress, cleanupStaleLabs, createLab, runInFreshNamespaces, isAlive, run, runOk, type Lab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';

/** `sleep 31.<our pid>`: the forker's children, found by their command line. */
const forkerMark = `31.${process.pid}`;
function marked(): number[] {
  const pids: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/cmdline`, 'latin1') === `sleep\0${forkerMark}\0`) pids.push(Number(e));
    } catch {
      // gone
    }
  }
  return pids;
}

test('a lab: bridge, isolated nodes with private dirs, a plain node, processes by PID, full teardown', async (t) => {
  if (!requireRootAndCommands(t, ['ping', 'sleep', 'socat'])) return;
  let lab: Lab | undefined;
  let forgottenPid = 0;
  await t.test('set up and use', async (st) => {
    lab = await createLab(st, {
      label: 'selftest',
      nodes: [{ name: 'alpha' }, { name: 'bravo' }, { name: 'client', isolated: false }],
    });
    const alpha = lab.node('alpha');
    assert.equal(alpha.ip, '198.51.100.11');
    assert.equal((await lab.exec('alpha', ['hostname'])).stdout.trim(), 'alpha');
    assert.equal((await lab.exec('bravo', ['hostname'])).stdout.trim(), 'bravo');

    // Private /etc/ha.d: a file written host-side shows up in alpha only.
    fs.writeFileSync(path.join(alpha.haDir, 'marker'), 'alpha-only\n');
    assert.equal((await lab.exec('alpha', ['cat', '/etc/ha.d/marker'])).stdout, 'alpha-only\n');
    assert.notEqual((await lab.exec('bravo', ['cat', '/etc/ha.d/marker'])).exitCode, 0);
    assert.equal(fs.existsSync('/etc/ha.d/marker'), false);

    // Layer 3 across the bridge, including the bridge's own address.
    for (const [from, to] of [['alpha', lab.node('bravo').ip], ['client', alpha.ip], ['bravo', '198.51.100.1']] as const) {
      const ping = await lab.exec(from, ['ping', '-c', '1', '-W', '2', to], { timeoutMs: 5000 });
      assert.equal(ping.exitCode, 0, `${from} → ${to}: ${ping.stdout}${ping.stderr}`);
    }

    // A long-lived process: its PID is the process itself, it lives in the node, it stops on request.
    const p = lab.start('bravo', ['sleep', '30']);
    assert.ok((await lab.pidsIn('bravo')).includes(p.pid));
    assert.equal(fs.readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim(), 'sleep');
    await p.stop(1000);
    assert.equal(isAlive(p.pid), false);

    // UDP across the bridge, as in the example at the top of netns.ts.
    const rx = lab.start('bravo', ['socat', '-d', '-d', '-u', 'UDP4-RECV:694', '-']);
    await rx.waitForOutput(/starting data transfer loop/, 5000);
    const tx = await lab.exec('alpha', ['socat', '-u', 'STDIO', `UDP4-SENDTO:${lab.node('bravo').ip}:694`], { input: 'hi\n' });
    assert.equal(tx.exitCode, 0, tx.stderr);
    await rx.waitForOutput(/^hi$/m, 5000);
    await rx.stop(1000);

    // Something the test forgets about: teardown must kill it by PID.
    const forgotten = await lab.exec('alpha', ['sh', '-c', 'sleep 30 >/dev/null 2>&1 & echo $!']);
    forgottenPid = Number(forgotten.stdout.trim());
    assert.ok(isAlive(forgottenPid));

    // The /proc scan behind pidsIn and the teardown finds what `ip netns pids` finds.
    const listed = (await run(['ip', 'netns', 'pids', alpha.netns])).stdout.split(/\s+/).filter((x) => x !== '').map(Number);
    assert.deepEqual([...(await lab.pidsIn('alpha'))].sort((a, b) => a - b), listed.sort((a, b) => a - b));

    // A process that keeps forking long-lived children (bounded: 3,000 at most, one per 10 ms): a child
    // forked between the teardown's listing and its kill must not survive it.
    await lab.exec('alpha', ['sh', '-c', `(i=0; while [ $i -lt 3000 ]; do sleep ${forkerMark} & i=$((i+1)); sleep 0.01; done) >/dev/null 2>&1 &`]);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(marked().length > 5, `the forker runs: ${marked().length} children`);
  });
  // The subtest's t.after ran the teardown; nothing of the lab may remain.
  assert.ok(lab);
  assert.equal(isAlive(forgottenPid), false, 'teardown left a process running');
  assert.deepEqual(marked(), [], 'teardown left children of the forker running');
  const names = (await run(['ip', 'netns', 'list'])).stdout;
  assert.equal(names.includes(lab.id), false, names);
  assert.equal(fs.existsSync(lab.root), false);
});

test('fresh namespaces: own hostname, veth eth0, private mounts, setup failures throw', async (t) => {
  if (!requireRootAndCommands(t)) return;
  const r = await runInFreshNamespaces(['sh', '-c', 'hostname; echo $$; ip -4 -o addr show dev eth0; ls /run | wc -l'], {
    hostname: 'probe',
    eth0: '198.51.100.11/24',
    tmpfs: ['/run'],
  });
  assert.equal(r.exitCode, 0, r.stderr);
  const [host, pid, addr, runCount] = r.stdout.trim().split('\n');
  assert.equal(host, 'probe');
  assert.equal(pid, '1');
  assert.match(addr ?? '', /inet 198\.51\.100\.11\/24 brd 198\.51\.100\.255/);
  assert.equal(runCount, '0');

  const code = await runInFreshNamespaces(['sh', '-c', 'exit 7'], { hostname: 'probe' });
  assert.equal(code.exitCode, 7);

  await assert.rejects(
    runInFreshNamespaces(['true'], { hostname: 'probe', binds: [{ source: '/nonexistent-dir', target: '/mnt' }] }),
    /could not be set up/,
  );
  await assert.rejects(runInFreshNamespaces(['true'], { hostname: 'probe', eth0: '192.0.2.5/24' }), /not allowed/);

  const slow = await runInFreshNamespaces(['sleep', '30'], { hostname: 'probe', timeoutMs: 300 });
  assert.equal(slow.timedOut, true);
});

test('leftovers of a crashed run (creator pid gone) are swept away; live runs are not touched', async (t) => {
  if (!requireRootAndCommands(t)) return;
  // The PID of a shell that has already exited stands in for the crashed run.
  const pid = Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
  assert.equal(isAlive(pid), false);
  const stale = `hbts-crashed-${pid}-1-alpha`;
  const live = `hbts-live-${process.pid}-999-alpha`;
  t.after(async () => {
    for (const ns of [stale, live]) await run(['ip', 'netns', 'del', ns]);
  });
  await runOk(['ip', 'netns', 'add', stale]);
  await runOk(['ip', 'netns', 'add', live]);
  const removed = await cleanupStaleLabs();
  assert.ok(removed.includes(stale), `removed: ${removed.join(', ')}`);
  assert.ok(!removed.includes(live));
  const names = (await run(['ip', 'netns', 'list'])).stdout;
  assert.ok(!names.includes(stale) && names.includes(live), names);
});

test('test addresses: the two IPv4 documentation nets and IPv6 2001:db8::/32 only', () => {
  for (const ok of ['198.51.100.11/24', '203.0.113.12/32', '2001:db8::11/64', '2001:DB8:1::12/64', '2001:db8::1/128']) assert.doesNotThrow(() => assertTestAddress(ok), ok);
  for (const bad of ['192.0.2.5/24', '10.0.0.1/24', 'fd00::1/64', 'fe80::1/64', '2001:db9::1/64', '2001:db8::1/16', '::1/128', '2001:db8::1']) {
    assert.throws(() => assertTestAddress(bad), /not allowed/, bad);
  }
});
