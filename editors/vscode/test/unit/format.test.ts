// Server resolution and the text the palette commands show, without VS Code.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';

import { amountProblem, contextItems, currentContext, formatMinor, pendingItems, splitLines } from '../../src/format';
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

test('contexts: most recently captured first, the current one last', () => {
  const latest = (ms: number, branch: string | null, counts = { staged: 0, unstaged: 0, untracked: 0 }) => ({
    created_ms: ms,
    head: { branch, describe: branch ?? 'abc1234' },
    counts,
  });
  const items = contextItems({
    current: 'bugfix',
    contexts: [
      { name: 'bugfix', current: true, versions: 3, latest: latest(1767225600000, 'fix/lens') },
      { name: 'feature', current: false, versions: 1, latest: latest(1767225660000, 'feat', { staged: 1, unstaged: 2, untracked: 1 }) },
      { name: 'old', current: false, versions: 2, latest: latest(1700000000000, null) },
      { name: 'also-old', current: false, versions: 1, latest: latest(1700000000000, 'x') },
      { versions: 1 },
    ],
  });
  assert.deepEqual(
    items.map((i) => [i.name, i.label, i.description, i.detail, i.current]),
    [
      ['feature', 'feature', '$(git-branch) feat · 2026-01-01 00:01 · 4 changed files', '1 version', false],
      ['also-old', 'also-old', '$(git-branch) x · 2023-11-14 22:13', '1 version', false],
      ['old', 'old', '$(git-branch) abc1234 · 2023-11-14 22:13', '2 versions', false],
      ['bugfix', '$(check) bugfix', '$(git-branch) fix/lens · 2026-01-01 00:00', '3 versions · current', true],
    ],
  );
  assert.equal(currentContext({ current: 'b', contexts: [{ name: 'a' }, { name: 'b' }] }), 'b');
  assert.equal(currentContext([{ name: 'a' }, { name: 'b', current: true }]), 'b');
  assert.equal(currentContext({ current: null, contexts: [] }), undefined);
  assert.deepEqual(contextItems(null), []);
});

test('unfinished switches for SES: Recover Lost Work', () => {
  assert.deepEqual(
    pendingItems({
      pending: [
        { id: 'j1', from: 'alpha', to: 'beta', started_ms: 1767225600000, saved: 'alpha', saved_version: 4, target: 'beta', target_version: 2 },
        { from: 'no id' },
      ],
    }),
    [{ id: 'j1', label: 'alpha → beta', description: 'started 2026-01-01 00:00 · work saved as alpha v4' }],
  );
  assert.deepEqual(pendingItems({ pending: [] }), []);
  assert.deepEqual(pendingItems('nonsense'), []);
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
    path: 'calc.py',
    symbol: { name: 'mul', kind: 'function', container: null },
    lines: 4,
    uncommitted: 0,
    authors: [
      { name: 'alice', email: 'a@x', lines: 3, share: 0.75, percent: 75 },
      { name: 'bob', email: 'b@x', lines: 1, share: 0.25, percent: 25 },
    ],
    commits: [
      { id: '0123456789abcdef', lines: 3, uncommitted: false, name: 'alice', date: '2024-01-02', summary: 'calc' },
      { id: '0000000000000000', lines: 1, uncommitted: true },
    ],
    money: [{ currency: 'USD', amount_minor: 41210, text: '$412.10' }],
    why: 'Each line belongs to the author of the commit git blame names.',
  });
  assert.match(page, /^# Who wrote function `mul` in calc.py\n/);
  assert.match(page, /\| alice <a@x> \| 3 \| 75% \|/);
  assert.match(page, /\| bob <b@x> \| 1 \| 25% \|/);
  assert.match(page, /Earned: \$412.10/);
  assert.match(page, /\* `01234567` alice 2024-01-02: calc \(3 lines\)/);
  assert.match(page, /\* not committed yet \(1 line\)/);
  assert.match(page, /## How SES counts/);
  // Without the server's percent, the share is rounded.
  assert.match(attributionText({ authors: [{ name: 'c', share: 0.625 }] }), /\| c \|  \| 63% \|/);
  assert.equal(attributionText('plain'), 'plain');
  assert.match(attributionText({ odd: [1] }), /```json/);
  assert.match(attributionText(null), /```json\nnull/);
});
