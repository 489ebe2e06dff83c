// Issue 18: Debian's stock IPaddr/IPaddr2 recognised by the digests of all three files behind them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { judgeStockAgent, nativeEnabled, STOCK_AGENT_CODES, STOCK_AGENT_VERSIONS } from '../../src/resources/stock-agents.js';

const FIX = new URL('../../../test/fixtures/stock-agents/', import.meta.url);
const sha = (name: string): string => createHash('sha256').update(fs.readFileSync(new URL(name, FIX))).digest('hex');

test('the recorded Debian 12 digests are those of the fixture copies (test/fixtures/stock-agents)', () => {
  for (const name of ['IPaddr', 'IPaddr2'] as const) {
    const v = STOCK_AGENT_VERSIONS.get(name)?.[0];
    assert.ok(v !== undefined);
    assert.equal(v.wrapper, sha(`${name}.wrapper`));
    assert.equal(v.mapfuncs, sha('hto-mapfuncs'));
    assert.equal(v.agent, sha(`${name}.ocf`));
    assert.deepEqual(judgeStockAgent(name, { wrapper: sha(`${name}.wrapper`), mapfuncs: sha('hto-mapfuncs'), agent: sha(`${name}.ocf`) }).kind, 'native');
  }
});

test('a changed byte anywhere in the chain, a missing file or the other name\'s wrapper: not native', () => {
  const ok = { wrapper: sha('IPaddr.wrapper'), mapfuncs: sha('hto-mapfuncs'), agent: sha('IPaddr.ocf') };
  assert.deepEqual(judgeStockAgent('IPaddr', { ...ok, agent: sha('IPaddr2.ocf') }), { kind: 'modified', which: ['agent'] });
  assert.deepEqual(judgeStockAgent('IPaddr', { ...ok, mapfuncs: undefined, agent: undefined }), { kind: 'modified', which: ['mapfuncs', 'agent'] });
  assert.deepEqual(judgeStockAgent('IPaddr', { ...ok, wrapper: sha('IPaddr2.wrapper') }), { kind: 'not-stock' });
  const edited = createHash('sha256').update(Buffer.concat([fs.readFileSync(new URL('IPaddr2.wrapper', FIX)), Buffer.from('\n')])).digest('hex');
  assert.deepEqual(judgeStockAgent('IPaddr2', { wrapper: edited, mapfuncs: ok.mapfuncs, agent: sha('IPaddr2.ocf') }), { kind: 'not-stock' });
});

test('HBTS_NATIVE: off/no/false/0 (any case) turn the stand-ins off; unset or anything else leaves them on', () => {
  for (const v of ['off', 'OFF', 'no', 'false', '0', ' off ']) assert.equal(nativeEnabled(v), false, v);
  for (const v of [undefined, '', 'on', '1', 'yes']) assert.equal(nativeEnabled(v), true, String(v));
  assert.deepEqual(Object.keys(STOCK_AGENT_CODES), ['HA_RES_NATIVE_STOCK', 'HA_RES_STOCK_MODIFIED', 'HA_RES_NATIVE_OFF']);
});

test('Debian\'s stock /etc/init.d/apache2: native only unmodified, without arguments, without systemd and without APACHE_CONFDIR', async () => {
  const { judgeStockInit } = await import('../../src/resources/stock-agents.js');
  const d = sha('apache2.init');
  const plain = { args: 0, systemd: false, confdir: false };
  assert.deepEqual(judgeStockInit('apache2', d, plain), { kind: 'native', source: 'Debian 12: apache2 2.4.71-1~deb12u1', native: 'httpd' });
  assert.deepEqual(judgeStockInit('apache2', sha('hto-mapfuncs'), plain), { kind: 'as-written', why: 'not-recorded' });
  assert.deepEqual(judgeStockInit('apache2', d, { ...plain, args: 1 }), { kind: 'as-written', why: 'arguments' });
  assert.deepEqual(judgeStockInit('apache2', d, { ...plain, systemd: true }), { kind: 'as-written', why: 'systemd' });
  assert.deepEqual(judgeStockInit('apache2', d, { ...plain, confdir: true }), { kind: 'as-written', why: 'confdir' });
  assert.equal(judgeStockInit('nginx', d, plain), undefined);
});
