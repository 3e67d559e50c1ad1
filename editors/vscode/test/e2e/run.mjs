#!/usr/bin/env node
// End to end in real VS Code: code-server (VS Code 1.100.3 in the browser) driven by
// Playwright and Debian's Chromium, with the packaged extension installed.
//
//   SES_BIN=/path/to/ses node test/e2e/run.mjs [--vsix ses.vsix] [--artifacts DIR]
//
// Builds a fixture repository (two authors with known line counts), opens it, waits for
// the value lenses with the expected authors and percentages, captures and switches
// contexts from the palette, and checks that files reopen with their cursors and
// breakpoints. Screenshots go to the artefacts directory (printed). Environment:
//   SES_BIN       the ses binary (required)
//   CODE_SERVER   code-server [default: $SES_DEV_CACHE/code-server-4.100.3/node_modules/.bin/code-server]
//   CHROMIUM      [default: /usr/lib/chromium/chromium]
// Exit status: 0 passed; 1 failed; 3 the server does not know the context commands yet
// (everything before them passed).

import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const extDir = path.resolve(here, '..', '..');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const sesBin = process.env.SES_BIN;
if (!sesBin || !fs.existsSync(sesBin)) {
  console.error(`error: SES_BIN must name the ses binary (got ${sesBin ?? 'nothing'}); build it with cargo build -p ses-lsp`);
  process.exit(1);
}
const cache = process.env.SES_DEV_CACHE ?? path.join(os.homedir(), '.cache', 'ses-dev');
const codeServer =
  process.env.CODE_SERVER ?? path.join(cache, 'code-server-4.100.3', 'node_modules', '.bin', 'code-server');
const chromiumBin = process.env.CHROMIUM ?? '/usr/lib/chromium/chromium';
const vsix = path.resolve(arg('--vsix', path.join(extDir, 'ses.vsix')));
for (const [what, file, fix] of [
  ['code-server', codeServer, 'run scripts/install-vscode-e2e.sh'],
  ['Chromium', chromiumBin, 'apt-get install chromium'],
  ['the extension package', vsix, 'run npm run package in editors/vscode'],
]) {
  if (!fs.existsSync(file)) {
    console.error(`error: ${what} not found at ${file}; ${fix}`);
    process.exit(1);
  }
}

// Short paths: the daemon's Unix socket lives in the SES home (at most 107 bytes).
const scratch = fs.mkdtempSync('/tmp/ses-vsc-');
const artifacts = path.resolve(arg('--artifacts') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ses-vscode-e2e-')));
fs.mkdirSync(artifacts, { recursive: true });
console.log(`artefacts (screenshots, logs): ${artifacts}`);

const sesHome = path.join(scratch, 'home');
const repo = path.join(scratch, 'repo');
const userData = path.join(scratch, 'user');
const extensions = path.join(scratch, 'ext');
const xdg = path.join(scratch, 'xdg');

const step = (msg) => console.log(`-- ${msg}`);

// ---- the fixture repository ----------------------------------------------------------------
// calc.py ends with 8 lines: alice wrote 6, bob 2 (file 75% / 25%). `add` is all alice's;
// `mul` has 4 lines, one of them bob's (75% / 25%). util.py is bob's alone.
const CALC_V1 = ['# calc', 'def add(a, b):', '    return a + b', 'def mul(a, b):', '    result = a * b', '    return result', ''].join('\n');
const CALC_V2 = ['# calc', 'def add(a, b):', '    return a + b', 'def mul(a, b):', '    result = a * b', '    result = result * 1', '    return result', 'VERSION = 2', ''].join('\n');
const UTIL = ['def one():', '    return 1', 'def two():', '    return 2', ''].join('\n');
const README = ['# Fixture', '', 'A repository for the SES VS Code test.', ''].join('\n');

function git(args, env = {}) {
  return execFileSync('git', args, {
    cwd: repo,
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
}

function commitAs(name, date, message) {
  const email = `${name}@example.com`;
  git(['add', '-A']);
  git(['commit', '-q', '-m', message], {
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: email,
    GIT_COMMITTER_NAME: name,
    GIT_COMMITTER_EMAIL: email,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
  });
}

// A second repository for the multi-root workspace: dave wrote all of solo.py.
const repo2 = path.join(scratch, 'repo2');
const workspaceFile = path.join(scratch, 'two.code-workspace');

function buildRepo2() {
  fs.mkdirSync(repo2, { recursive: true });
  const g = (args, env = {}) =>
    execFileSync('git', args, {
      cwd: repo2,
      env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  g(['init', '-q', '-b', 'main']);
  g(['config', 'user.name', 'carol']);
  g(['config', 'user.email', 'carol@example.com']);
  fs.writeFileSync(path.join(repo2, 'solo.py'), 'def solo():\n    return 0\n');
  g(['add', '-A']);
  const who = { GIT_AUTHOR_NAME: 'dave', GIT_AUTHOR_EMAIL: 'dave@example.com', GIT_COMMITTER_NAME: 'dave', GIT_COMMITTER_EMAIL: 'dave@example.com' };
  g(['commit', '-q', '-m', 'solo'], who);
  fs.writeFileSync(workspaceFile, JSON.stringify({ folders: [{ path: repo }, { path: repo2 }] }, null, 2));
}

function buildRepo() {
  fs.mkdirSync(repo, { recursive: true });
  git(['init', '-q', '-b', 'main']);
  git(['config', 'user.name', 'carol']);
  git(['config', 'user.email', 'carol@example.com']);
  fs.writeFileSync(path.join(repo, 'calc.py'), CALC_V1);
  fs.writeFileSync(path.join(repo, 'README.md'), README);
  commitAs('alice', '2024-01-02T10:00:00Z', 'calc: add and mul');
  fs.writeFileSync(path.join(repo, 'calc.py'), CALC_V2);
  fs.writeFileSync(path.join(repo, 'util.py'), UTIL);
  commitAs('bob', '2024-02-03T10:00:00Z', 'calc: VERSION; util');
}

// ---- code-server ---------------------------------------------------------------------------
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// code-server's extension hosts put IPC sockets and tsserver files in TMPDIR and
// XDG_RUNTIME_DIR: keep them in the scratch folder, which the test removes.
const tmp = path.join(scratch, 'tmp');
fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
const env = {
  ...process.env,
  TMPDIR: tmp,
  XDG_RUNTIME_DIR: tmp,
  SES_HOME: sesHome,
  XDG_CONFIG_HOME: xdg,
  XDG_DATA_HOME: path.join(xdg, 'data'),
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

function codeServerArgs(port) {
  return [
    '--config', path.join(scratch, 'config.yaml'),
    '--user-data-dir', userData,
    '--extensions-dir', extensions,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
  ];
}

async function waitHealthy(port, proc, deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`code-server exited with ${proc.exitCode}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer /healthz within ${deadlineMs / 1000}s`);
}

// ---- the workbench -------------------------------------------------------------------------
const norm = (s) => (s ?? '').replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').trim();

async function shot(page, name) {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file });
  console.log(`   screenshot ${file}`);
}

/** Presses `key` until the quick input shows (a terminal or a closing widget can swallow it). */
async function openQuickInput(page, key) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press(key);
    try {
      await input.waitFor({ state: 'visible', timeout: 5000 });
      return input;
    } catch (e) {
      if (attempt === 2) throw e;
    }
  }
}

async function palette(page, title) {
  const input = await openQuickInput(page, 'F1');
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible' });
  await row.click();
}

async function quickOpen(page, file) {
  const input = await openQuickInput(page, 'Control+P');
  await input.fill(file);
  // The list filters as it is typed, and a window that has just opened may still be
  // indexing its folders: wait until the first row is the file (typing it again now and
  // then, which searches again), then take it.
  const first = page.locator('.quick-input-widget .monaco-list-row').first();
  const until = Date.now() + 45000;
  let retype = Date.now() + 5000;
  while (!norm(await first.textContent().catch(() => '')).startsWith(file)) {
    if (Date.now() > until) {
      await shot(page, `quick-open-${file}`).catch(() => {});
      const rows = (await page.locator('.quick-input-widget .monaco-list-row').allTextContents()).map(norm);
      throw new Error(`quick open does not offer ${file} first: ${JSON.stringify(rows)}`);
    }
    if (Date.now() > retype) {
      await input.fill('');
      await input.fill(file);
      retype = Date.now() + 5000;
    }
    await page.waitForTimeout(100);
  }
  await first.click();
  await page.locator(`.tab.active:has-text("${file}")`).waitFor();
  await page.locator('.monaco-editor.focused').waitFor();
}

async function goTo(page, line, col) {
  const input = await openQuickInput(page, 'Control+G');
  await input.fill(`:${line}:${col}`);
  await input.press('Enter');
  await cursorIs(page, line, col);
}

async function cursorText(page) {
  return norm(await page.locator('[id="status.editor.selection"]').textContent({ timeout: 5000 }).catch(() => ''));
}

async function cursorIs(page, line, col, timeout = 10000) {
  const want = `Ln ${line}, Col ${col}`;
  const until = Date.now() + timeout;
  let got = '';
  while (Date.now() < until) {
    got = await cursorText(page);
    if (got.startsWith(want)) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`the cursor is at "${got}", expected "${want}"`);
}

async function lensTexts(page) {
  return (await page.locator('.codelens-decoration a').allTextContents()).map(norm);
}

async function waitLenses(page, expected, timeout) {
  const until = Date.now() + timeout;
  let got = [];
  while (Date.now() < until) {
    got = await lensTexts(page);
    if (expected.every((e) => got.includes(e))) return got;
    await page.waitForTimeout(250);
  }
  throw new Error(`lenses ${JSON.stringify(got)} do not include ${JSON.stringify(expected)}`);
}

async function notification(page, pattern, timeout = 30000) {
  const until = Date.now() + timeout;
  let seen = [];
  while (Date.now() < until) {
    seen = (await page.locator('.notification-toast .notification-list-item-message').allTextContents()).map(norm);
    const hit = seen.find((t) => pattern.test(t));
    if (hit) return hit;
    const err = seen.find((t) => /^SES: /.test(t) && /unknown (command|method)/i.test(t));
    if (err) return err;
    await page.waitForTimeout(200);
  }
  throw new Error(`no notification matching ${pattern}; shown: ${JSON.stringify(seen)}`);
}

class UnknownCommand extends Error {}

function failIfUnknown(text) {
  if (/unknown (command|method)/i.test(text)) throw new UnknownCommand(text);
}

async function clearNotifications(page) {
  await palette(page, 'Notifications: Clear All Notifications');
}

async function tabTitles(page) {
  return (await page.locator('.tabs-container .tab .label-name').allTextContents()).map(norm);
}

async function waitTerminals(page, n, timeout = 15000) {
  // Open terminals, as the Terminal panel lists them.
  const until = Date.now() + timeout;
  let got;
  while (Date.now() < until) {
    got = await page.evaluate(() => document.querySelectorAll('.integrated-terminal .terminal-wrapper').length);
    if (got === n) return;
    await page.waitForTimeout(150);
  }
  throw new Error(`${got} terminals open, expected ${n}`);
}

async function waitGlyphs(page, n, timeout = 10000) {
  // Breakpoint glyphs in the focused editor's margin.
  const until = Date.now() + timeout;
  let got;
  while (Date.now() < until) {
    got = await page.locator('.monaco-editor.focused .codicon-debug-breakpoint').count();
    if (got === n) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`${got} breakpoint glyphs in the editor, expected ${n}`);
}

function writeSettings(extra) {
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  const settings = {
    'ses.path': path.resolve(sesBin),
    'ses.trace.server': 'messages',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'security.workspace.trust.enabled': false,
    'debug.allowBreakpointsEverywhere': true,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'window.restoreWindows': 'none',
    'chat.commandCenter.enabled': false,
    'editor.minimap.enabled': false,
    ...extra,
  };
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
}

async function toggleLensSetting(page) {
  await palette(page, 'Preferences: Open Settings (UI)');
  await page.locator('.settings-editor').waitFor();
  await page.keyboard.type('ses.lenses.enabled');
  const box = page.locator('.settings-editor .setting-item-bool .setting-value-checkbox').first();
  await box.waitFor({ timeout: 15000 });
  await box.click();
  await palette(page, 'View: Close Editor');
  await page.locator('.tab.active:has-text("calc.py")').waitFor();
}

async function waitLensCount(page, n, timeout = 20000) {
  const until = Date.now() + timeout;
  let got;
  while (Date.now() < until) {
    got = (await lensTexts(page)).length;
    if (got === n) return;
    await page.waitForTimeout(200);
  }
  throw new Error(`${got} lenses shown, expected ${n}`);
}

async function main() {
  step('fixture repositories');
  buildRepo();
  buildRepo2();
  writeSettings({});
  const port = await freePort();
  fs.writeFileSync(path.join(scratch, 'config.yaml'), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);

  step(`install ${path.basename(vsix)} into a scratch extensions dir`);
  execFileSync(codeServer, [...codeServerArgs(port), '--install-extension', vsix], { env, stdio: ['ignore', 'pipe', 'pipe'] });

  step('start code-server');
  const log = fs.openSync(path.join(artifacts, 'code-server.log'), 'w');
  const server = spawn(codeServer, [...codeServerArgs(port), repo], { env, stdio: ['ignore', log, log], detached: true });
  let browser;
  try {
    await waitHealthy(port, server, 60000);
    browser = await chromium.launch({
      executablePath: chromiumBin,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const consoleLog = fs.createWriteStream(path.join(artifacts, 'browser-console.log'));
    page.on('console', (m) => consoleLog.write(`${m.type()}: ${m.text()}\n`));
    try {
      await run(page, port);
    } catch (e) {
      // Every window as it was when the test failed.
      const pages = browser.contexts().flatMap((c) => c.pages());
      for (const [i, p] of pages.entries()) await shot(p, i === 0 ? 'failure' : `failure-window-${i + 1}`).catch(() => {});
      throw e;
    }
  } finally {
    if (browser) await browser.close().catch(() => {});
    // The extension host writes its logs when its window goes away: give it a moment.
    await new Promise((r) => setTimeout(r, 2000));
    copyLogs();
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    try {
      execFileSync(sesBin, ['--home', sesHome, 'daemon', 'stop'], { stdio: 'ignore', timeout: 20000 });
    } catch {
      // no daemon running
    }
    const daemonLog = path.join(sesHome, 'log', 'daemon.log');
    if (fs.existsSync(daemonLog)) fs.copyFileSync(daemonLog, path.join(artifacts, 'daemon.log'));
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function copyLogs() {
  // The extension host's logs and the SES output channel, for whoever reads a failure.
  const logs = path.join(userData, 'logs');
  if (!fs.existsSync(logs)) return;
  const walk = (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]));
  // One extension host (and one SES output) per window: number them apart.
  walk(logs)
    .filter((f) => /exthost\.log$|SES\.log$|remoteagent\.log$/.test(f))
    .sort()
    .forEach((f, i) => fs.copyFileSync(f, path.join(artifacts, `${i}-${path.basename(f)}`)));
}

async function run(page, port) {
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(repo)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
  step('workbench loaded');

  // ---- value lenses
  await quickOpen(page, 'calc.py');
  const lenses = await waitLenses(page, ['File: alice 75% · bob 25%', 'alice 100%', 'alice 75% · bob 25%'], 90000);
  console.log(`   lenses: ${JSON.stringify(lenses)}`);
  await shot(page, '1-lenses');

  // A lens runs ses.showAttribution: the attribution opens beside the editor.
  await page.locator('.codelens-decoration a', { hasText: 'File: alice 75% · bob 25%' }).first().click();
  const page2 = page.locator('.editor-group-container').nth(1).locator('.view-lines');
  await page2.waitFor({ timeout: 20000 });
  const attribution = norm(await page2.textContent());
  if (!/alice/.test(attribution) || !/bob/.test(attribution)) {
    throw new Error(`the attribution shown for the lens does not name alice and bob: ${attribution}`);
  }
  await shot(page, '2-attribution');
  await palette(page, 'View: Close All Editors');
  step('lenses and attribution');

  // Hover: who wrote the line.
  await quickOpen(page, 'calc.py');
  await page.locator('.view-line', { hasText: 'result = result * 1' }).locator('span', { hasText: 'result' }).first().hover();
  const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'bob' }).first();
  await hover.waitFor({ timeout: 20000 });
  console.log(`   hover: ${norm(await hover.textContent()).slice(0, 160)}`);
  await shot(page, '3-hover');
  await page.keyboard.press('Escape');

  // Revenue: record 10.00 USD for calc.py from the palette; the file lens shows it and the
  // split gives alice 75% and bob 25% of it.
  await palette(page, 'SES: Record Revenue');
  const box = page.locator('.quick-input-widget .quick-input-box input');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Record Revenue (1/3)' }).waitFor();
  if ((await box.inputValue()) !== 'calc.py') throw new Error(`Record Revenue suggests ${await box.inputValue()}, not calc.py`);
  await box.press('Enter');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Record Revenue (2/3)' }).waitFor();
  await box.press('Enter'); // USD, from ses.currency
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Record Revenue (3/3)' }).waitFor();
  await box.fill('10.00');
  await box.press('Enter');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: /^SES: Record Revenue$/ }).waitFor();
  await box.press('Enter'); // no memo
  await notification(page, /recorded 10\.00 USD for calc\.py/);
  await waitLenses(page, ['File: alice 75% · bob 25% · $10.00'], 30000);
  await palette(page, 'SES: Revenue Split');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'SES: Revenue Split' }).waitFor();
  const split = (await page.locator('.quick-input-widget .monaco-list-row .label-name').allTextContents()).map(norm);
  console.log(`   split: ${JSON.stringify(split)}`);
  for (const want of ['Total 10.00 USD', 'alice: 7.50 USD (75%)', 'bob: 2.50 USD (25%)']) {
    if (!split.includes(want)) throw new Error(`the revenue split ${JSON.stringify(split)} lacks ${want}`);
  }
  await shot(page, '4-revenue-split');
  await page.keyboard.press('Escape');
  step('hover, revenue record and split');

  // ses.lenses.enabled, unticked in the Settings editor, hides the lenses; ticked, they return.
  await toggleLensSetting(page);
  await waitLensCount(page, 0);
  await toggleLensSetting(page);
  await waitLenses(page, ['File: alice 75% · bob 25% · $10.00'], 30000);
  step('ses.lenses.enabled');
  await clearNotifications(page);
  await palette(page, 'View: Close All Editors');

  // A second window (its own extension host, language client and `ses lsp`) on a multi-root
  // workspace: the server's command ids are registered once per window, so lenses and their
  // command work in both, and each folder gets its own attribution.
  const other = await page.context().browser().newPage({ viewport: { width: 1400, height: 900 } });
  try {
    const errors = [];
    other.on('console', (m) => {
      if (/already exists/.test(m.text())) errors.push(m.text());
    });
    // code-server now and then starts a window with no folder despite ?workspace= (seen
    // about one run in five here): load it again until the workspace is there.
    for (let attempt = 1; ; attempt++) {
      await other.goto(`http://127.0.0.1:${port}/?workspace=${encodeURIComponent(workspaceFile)}`);
      await other.locator('.monaco-workbench').waitFor({ timeout: 60000 });
      const opened = other.locator('.explorer-folders-view, .pane-header', { hasText: /two \(workspace\)/i }).first();
      try {
        await opened.waitFor({ timeout: 15000 });
        break;
      } catch (e) {
        if (attempt === 3) throw new Error(`the second window did not open ${workspaceFile} in 3 attempts`);
        console.log(`   the second window opened without its workspace (attempt ${attempt}); loading it again`);
      }
    }
    await quickOpen(other, 'solo.py');
    await waitLenses(other, ['File: dave 100%'], 60000);
    await other.locator('.codelens-decoration a', { hasText: 'File: dave 100%' }).first().click();
    const page2 = other.locator('.editor-group-container').nth(1).locator('.view-lines');
    await page2.waitFor({ timeout: 20000 });
    if (!/dave/.test(norm(await page2.textContent()))) throw new Error('the second window shows no attribution for solo.py');
    await palette(other, 'View: Close All Editors');
    await quickOpen(other, 'calc.py');
    await waitLenses(other, ['File: alice 75% · bob 25% · $10.00'], 60000);
    await shot(other, '4b-second-window-multi-root');
    const toasts = (await other.locator('.notification-toast .notification-list-item-message').allTextContents()).map(norm);
    const bad = [...errors, ...toasts.filter((t) => /already exists|SES: /.test(t) && !/^calc\.py|^solo\.py/.test(t))];
    if (bad.length > 0) throw new Error(`the second window reported: ${JSON.stringify(bad)}`);
  } finally {
    await other.close();
  }
  step('second window, multi-root workspace');

  // ---- contexts
  // Context "alpha": calc.py with the cursor on line 5 col 9 and a breakpoint there, then
  // util.py focused at line 4 col 5.
  await quickOpen(page, 'calc.py');
  await goTo(page, 5, 9);
  await page.keyboard.press('F9');
  await page.locator('.monaco-editor.focused .codicon-debug-breakpoint').first().waitFor({ timeout: 10000 });
  await palette(page, 'Terminal: Create New Terminal');
  await waitTerminals(page, 1);
  await quickOpen(page, 'util.py');
  await goTo(page, 4, 5);
  await palette(page, 'SES: Capture Context');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'SES: Capture Context' }).waitFor();
  await page.locator('.quick-input-widget .quick-input-box input').fill('alpha');
  await page.keyboard.press('Enter');
  failIfUnknown(await notification(page, /captured context "alpha"/));
  await shot(page, '5-captured-alpha');
  await clearNotifications(page);

  // Context "beta": README.md alone, no breakpoints.
  await quickOpen(page, 'calc.py');
  await cursorIs(page, 5, 9);
  await page.keyboard.press('F9');
  await waitGlyphs(page, 0);
  await palette(page, 'View: Close All Editors');
  await palette(page, 'Terminal: Kill All Terminals');
  await waitTerminals(page, 0);
  await quickOpen(page, 'README.md');
  await goTo(page, 3, 3);
  await page.keyboard.press('Control+Alt+Shift+S'); // the keybinding, this time
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'SES: Capture Context' }).waitFor();
  await page.locator('.quick-input-widget .quick-input-box input').fill('beta');
  await page.keyboard.press('Enter');
  failIfUnknown(await notification(page, /captured context "beta"/));
  await clearNotifications(page);
  step('captured alpha and beta');

  // Switch to alpha with the keybinding (Ctrl+Alt+Shift+X), pick it in the quick pick.
  await page.keyboard.press('Control+Alt+Shift+X');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'SES: Switch Context' }).waitFor({ timeout: 15000 });
  const picks = (await page.locator('.quick-input-widget .monaco-list-row').allTextContents()).map(norm);
  console.log(`   contexts offered: ${JSON.stringify(picks)}`);
  if (!picks.some((p) => p.includes('alpha')) || !picks.some((p) => p.includes('beta'))) {
    throw new Error(`SES: Switch Context does not offer alpha and beta: ${JSON.stringify(picks)}`);
  }
  await shot(page, '6-switch-pick');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'alpha' }).first().click();

  // util.py is focused at 4:5, calc.py open at 5:9 with its breakpoint, README.md closed.
  await page.locator('.tab.active:has-text("util.py")').waitFor({ timeout: 20000 });
  await cursorIs(page, 4, 5);
  const tabs = await tabTitles(page);
  if (JSON.stringify([...tabs].sort()) !== JSON.stringify(['calc.py', 'util.py'])) {
    throw new Error(`after switching to alpha the tabs are ${JSON.stringify(tabs)}`);
  }
  await page.locator('.statusbar-item', { hasText: 'alpha' }).first().waitFor({ timeout: 5000 });
  await shot(page, '7-switched-alpha');
  await page.locator('.tab', { hasText: 'calc.py' }).first().click();
  await cursorIs(page, 5, 9);
  await waitGlyphs(page, 1);
  await waitTerminals(page, 1);
  step('switched to alpha: files, cursors, breakpoint, terminal');

  // And back to beta from the palette: README.md at 3:3, the breakpoint gone.
  await palette(page, 'SES: Switch Context');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'beta' }).first().click();
  await page.locator('.tab.active:has-text("README.md")').waitFor({ timeout: 20000 });
  await cursorIs(page, 3, 3);
  const tabs2 = await tabTitles(page);
  if (tabs2.includes('calc.py') || tabs2.includes('util.py')) {
    throw new Error(`after switching to beta the tabs are ${JSON.stringify(tabs2)}`);
  }
  // A switch never kills a terminal: alpha's stays open in beta.
  await waitTerminals(page, 1);
  await shot(page, '8-switched-beta');
  step('switched to beta');
}

main().then(
  () => {
    console.log(`PASS; artefacts in ${artifacts}`);
    process.exit(0);
  },
  (e) => {
    if (e instanceof UnknownCommand) {
      console.log(`CONTEXT-COMMANDS-MISSING: ${e.message}`);
      console.log(`artefacts in ${artifacts}`);
      process.exit(3);
    }
    console.error(`FAIL: ${e.stack ?? e}`);
    console.error(`artefacts in ${artifacts}`);
    process.exit(1);
  },
);
