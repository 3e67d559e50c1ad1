// Server resolution and the text the palette commands show, without VS Code.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';

import { amountProblem, contextItems, currentContext, formatMinor, splitLines } from '../../src/format';
import { INSTALL_HINT, resolveServer } from '../../src/server';
import { attributionText } from '../../src/attribution';

test('ses.path wins over PATH and must be an executable absolute path', () => {
  const exists = new Set(['/opt/ses/bin/ses', '/usr/bin/ses', '/home/u/bin/ses']);
  const isExecutable = (f: string) => exists.has(f);
  assert.deepEqual(resolveServer({ setting: '/opt/ses/bin/ses', envPath: '/usr/bin', isExecutable }), {
    command: '/opt/ses/bin/ses',
  });
  assert.deepEqual(resolveServer({ setting: '~/bin/ses', home: '/home/u', isExecutable }), { command: '/home/u/bin/ses' });
  const missing = resolveServer({ setting: '/nope/ses', envPath: '/usr/bin', isExecutable });
  assert.ok('error' in missing && missing.error.includes('/nope/ses') && missing.error.includes('cargo install'));
  const relative = resolveServer({ setting: 'bin/ses', isExecutable });
  assert.ok('error' in relative && relative.error.includes('absolute'));
});

test('without ses.path, the first ses on PATH; none is a message saying how to install', () => {
  const isExecutable = (f: string) => f === '/usr/bin/ses' || f === '/usr/local/bin/ses';
  assert.deepEqual(resolveServer({ setting: '', envPath: '/bin::/usr/local/bin:/usr/bin', isExecutable }), {
    command: '/usr/local/bin/ses',
  });
  const none = resolveServer({ envPath: '/bin', isExecutable });
  assert.ok('error' in none);
  assert.ok(none.error.endsWith(INSTALL_HINT));
  assert.ok(INSTALL_HINT.includes('cargo install --locked --path ses-lsp'));
});

test('money in minor units is written with the currency digits', () => {
  assert.equal(formatMinor(41210, 'USD'), '412.10 USD');
  assert.equal(formatMinor(5, 'USD'), '0.05 USD');
  assert.equal(formatMinor(-5, 'EUR'), '-0.05 EUR');
  assert.equal(formatMinor(1200, 'JPY'), '1200 JPY');
  assert.equal(formatMinor(1234, 'KWD'), '1.234 KWD');
});

test('amounts are checked against the currency', () => {
  assert.equal(amountProblem('12.34', 'USD'), undefined);
  assert.equal(amountProblem(' 7 ', 'USD'), undefined);
  assert.match(amountProblem('12.345', 'USD') ?? '', /USD has 2 decimals/);
  assert.match(amountProblem('1.5', 'JPY') ?? '', /JPY has 0 decimals/);
  assert.match(amountProblem('ten', 'USD') ?? '', /12.34/);
});

test('contexts keep the server order and mark the current one', () => {
  const items = contextItems({
    current: 'bugfix',
    contexts: [
      { name: 'bugfix', branch: 'fix/lens', updated: 1767225600, documents: 3 },
      { name: 'feature', repo: '/repo', editor: { documents: [{}, {}] } },
      { branch: 'no-name' },
    ],
  });
  assert.deepEqual(
    items.map((i) => [i.name, i.label, i.description, i.detail, i.current]),
    [
      ['bugfix', '$(check) bugfix', '$(git-branch) fix/lens · 2026-01-01 00:00 · 3 files', undefined, true],
      ['feature', 'feature', '2 files', '/repo', false],
    ],
  );
  assert.equal(currentContext([{ name: 'a' }, { name: 'b', current: true }]), 'b');
  assert.equal(currentContext({ contexts: [] }), undefined);
  assert.deepEqual(contextItems(null), []);
});

test('a revenue split lists the total and each contributor', () => {
  assert.deepEqual(
    splitLines({
      currency: 'USD',
      total_minor: 1000,
      contributors: [
        { name: 'alice', email: 'a@x', amount_minor: 667, share: 0.667 },
        { email: 'b@x', amount_minor: 333, share: 0.333 },
      ],
    }),
    ['Total 10.00 USD', 'alice: 6.67 USD (67%)', 'b@x: 3.33 USD (33%)'],
  );
});

test('attribution results become a Markdown page whatever their shape', () => {
  const page = attributionText({
    path: 'src/a.rs',
    authors: [
      { name: 'alice', email: 'a@x', lines: 5, share: 0.625 },
      { name: 'bob', email: 'b@x', lines: 3, share: 0.375 },
    ],
  });
  assert.match(page, /\| alice <a@x> \| 5 \| 63% \|/);
  assert.match(page, /\| bob <b@x> \| 3 \| 38% \|/);
  assert.equal(attributionText('plain'), 'plain');
  assert.match(attributionText({ odd: [1] }), /```json/);
  assert.match(attributionText(null), /```json\nnull/);
});
