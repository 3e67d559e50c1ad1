// The SES extension: one language client per window (the server is `ses lsp`), the palette
// commands, and capturing / restoring what VS Code shows for SES's contexts.
//
// Invariants:
// * The palette commands have ids of their own (`ses.vscode.*`). vscode-languageclient
//   registers the server's command ids (`ses.capture`, `ses.showAttribution`, …) as VS Code
//   commands; registering one of those here too would fail with "command already exists".
//   The extension reaches the server with `workspace/executeCommand` requests instead.
// * A switch opens each document once: the server's window/showDocument requests that arrive
//   while a switch is in flight are acknowledged and folded into the single restore pass.
// * Nothing here discards work: restoring closes only saved tabs and never a terminal.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFile } from 'child_process';
import * as vscode from 'vscode';
import {
  CancellationToken,
  CodeLensRequest,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  ServerOptions,
  ShowDocumentParams,
  ShowDocumentResult,
} from 'vscode-languageclient/node';

import {
  EditorState,
  FunctionBreakpointSnapshot,
  RestorePlan,
  SourceBreakpointSnapshot,
  TabSnapshot,
  WorkbenchSnapshot,
  captureState,
  planRestore,
} from './state';
import { resolveServer } from './server';
import { amountProblem, contextItems, currentContext, pendingItems, splitLines } from './format';
import { attributionText } from './attribution';

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let status: vscode.StatusBarItem;
/** showDocument requests received while a switch is in flight; undefined otherwise. */
let pendingShows: ShowDocumentParams[] | undefined;
/** The current context's name, as the status bar shows it. */
let currentName: string | undefined;

function config() {
  return vscode.workspace.getConfiguration('ses');
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const found = resolveServer({
    setting: config().get<string>('path'),
    envPath: process.env.PATH,
    home: os.homedir(),
    isExecutable,
  });
  if ('error' in found) {
    output.appendLine(found.error);
    const choice = await vscode.window.showErrorMessage(`SES: ${found.error}`, 'Open Settings');
    if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'ses.path');
    }
    return;
  }
  const serverOptions: ServerOptions = { command: found.command, args: ['lsp'] };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file' }],
    outputChannel: output,
    middleware: {
      provideCodeLenses: (document, token, next) =>
        config().get<boolean>('lenses.enabled', true) ? next(document, token) : [],
      executeCommand: async (command, args, next) => {
        const result = await next(command, args);
        // A lens runs ses.showAttribution and discards what it returns: show it here.
        if (command === 'ses.showAttribution' && result !== undefined && result !== null) {
          await showAttributionResult(result);
        }
        return result;
      },
      window: {
        showDocument: async (params, next): Promise<ShowDocumentResult> => {
          if (pendingShows && params.external !== true) {
            output.appendLine(`SES: the server shows ${params.uri}; opened with the rest of the switch`);
            pendingShows.push(params);
            return { success: true };
          }
          const r = await next(params, CancellationToken.None);
          return r instanceof ResponseError ? { success: false } : r;
        },
      },
    },
  };
  client = new LanguageClient('ses', 'SES', serverOptions, clientOptions);
  try {
    await client.start();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    vscode.window.showErrorMessage(`SES: the language server (${found.command} lsp) did not start: ${why}`);
    return;
  }
  context.subscriptions.push(client);
  void refreshStatus();
}

/** Sends `workspace/executeCommand` for one of the server's commands (one argument object). */
async function serverCommand(command: string, arg: Record<string, unknown>): Promise<unknown> {
  if (!client || !client.isRunning()) {
    throw new Error('the SES language server is not running (see Output: SES)');
  }
  return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [arg] });
}

function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

/** The repository the commands act on: the active file's, else the first workspace folder's. */
function root(): string | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  if (doc && doc.uri.scheme === 'file') return doc.uri.toString();
  return vscode.workspace.workspaceFolders?.[0]?.uri.toString();
}

function withRoot(arg: Record<string, unknown>): Record<string, unknown> {
  const r = root();
  return r ? { root: r, ...arg } : arg;
}

// ---- capture and restore ---------------------------------------------------------------

interface Snapshot {
  data: WorkbenchSnapshot;
  tabs: Map<TabSnapshot, vscode.Tab>;
  breakpoints: Map<SourceBreakpointSnapshot, vscode.Breakpoint>;
  functionBreakpoints: Map<FunctionBreakpointSnapshot, vscode.Breakpoint>;
}

async function snapshot(): Promise<Snapshot> {
  const active = vscode.window.activeTextEditor;
  const tabs = new Map<TabSnapshot, vscode.Tab>();
  for (const group of vscode.window.tabGroups.all) {
    group.tabs.forEach((tab, index) => {
      if (tab.input instanceof vscode.TabInputText) {
        tabs.set(
          {
            uri: tab.input.uri.toString(),
            viewColumn: group.viewColumn,
            index,
            active: tab.isActive,
            dirty: tab.isDirty,
          },
          tab,
        );
      }
    });
  }
  const breakpoints = new Map<SourceBreakpointSnapshot, vscode.Breakpoint>();
  const functionBreakpoints = new Map<FunctionBreakpointSnapshot, vscode.Breakpoint>();
  for (const b of vscode.debug.breakpoints) {
    if (b instanceof vscode.SourceBreakpoint) {
      breakpoints.set(
        {
          uri: b.location.uri.toString(),
          line: b.location.range.start.line,
          enabled: b.enabled,
          condition: b.condition,
          hitCondition: b.hitCondition,
          logMessage: b.logMessage,
        },
        b,
      );
    } else if (b instanceof vscode.FunctionBreakpoint) {
      functionBreakpoints.set(
        { functionName: b.functionName, enabled: b.enabled, condition: b.condition, hitCondition: b.hitCondition },
        b,
      );
    }
  }
  let editorLayout: unknown;
  try {
    editorLayout = await vscode.commands.executeCommand('vscode.getEditorLayout');
  } catch {
    // Older VS Code: no layout to keep; documents still carry their view columns.
  }
  return {
    data: {
      visibleEditors: vscode.window.visibleTextEditors.map((e) => ({
        uri: e.document.uri.toString(),
        selections: e.selections.map((s) => ({
          anchor: { line: s.anchor.line, character: s.anchor.character },
          active: { line: s.active.line, character: s.active.character },
        })),
        visibleRanges: e.visibleRanges.map((r) => ({
          start: { line: r.start.line, character: r.start.character },
          end: { line: r.end.line, character: r.end.character },
        })),
        viewColumn: e.viewColumn,
        active: e === active,
      })),
      tabs: [...tabs.keys()],
      breakpoints: [...breakpoints.keys()],
      functionBreakpoints: [...functionBreakpoints.keys()],
      terminals: vscode.window.terminals.map((t) => ({ name: t.name, cwd: terminalCwd(t) })),
      editorLayout,
    },
    tabs,
    breakpoints,
    functionBreakpoints,
  };
}

function terminalCwd(t: vscode.Terminal): string | undefined {
  // Shell integration (VS Code 1.93+) knows where the shell is now; else where it started.
  const live = (t as unknown as { shellIntegration?: { cwd?: vscode.Uri } }).shellIntegration?.cwd;
  if (live && live.scheme === 'file') return live.fsPath;
  const opts = t.creationOptions as vscode.TerminalOptions;
  const cwd = opts?.cwd;
  if (typeof cwd === 'string') return cwd;
  if (cwd && cwd.scheme === 'file') return cwd.fsPath;
  return undefined;
}

function pos(p: { line: number; character: number }): vscode.Position {
  return new vscode.Position(p.line, p.character);
}

/** Carries out a restore plan; returns what could not be restored, for the user. */
async function applyPlan(plan: RestorePlan, snap: Snapshot): Promise<string[]> {
  const problems: string[] = [];
  const close = plan.close.map((t) => snap.tabs.get(t)).filter((t): t is vscode.Tab => !!t);
  if (close.length > 0) await vscode.window.tabGroups.close(close, true);
  if (plan.editorLayout !== undefined) {
    try {
      await vscode.commands.executeCommand('vscode.setEditorLayout', plan.editorLayout);
    } catch (e) {
      problems.push(`the editor layout (${errorText(e)})`);
    }
  }
  for (const step of plan.open) {
    try {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(step.uri));
      const editor = await vscode.window.showTextDocument(doc, {
        viewColumn: step.viewColumn,
        preserveFocus: !step.focus,
        preview: false,
      });
      if (step.selections.length > 0) {
        editor.selections = step.selections.map((s) => new vscode.Selection(pos(s.anchor), pos(s.active)));
      }
      if (step.visible) {
        editor.revealRange(new vscode.Range(pos(step.visible.start), pos(step.visible.end)), vscode.TextEditorRevealType.AtTop);
      } else if (step.selections.length > 0) {
        editor.revealRange(editor.selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      }
    } catch (e) {
      problems.push(`${vscode.Uri.parse(step.uri).fsPath} (${errorText(e)})`);
    }
  }
  const remove = [
    ...plan.removeBreakpoints.map((b) => snap.breakpoints.get(b)),
    ...plan.removeFunctionBreakpoints.map((b) => snap.functionBreakpoints.get(b)),
  ].filter((b): b is vscode.Breakpoint => !!b);
  if (remove.length > 0) vscode.debug.removeBreakpoints(remove);
  const add: vscode.Breakpoint[] = [
    ...plan.addBreakpoints.map(
      (b) =>
        new vscode.SourceBreakpoint(
          new vscode.Location(vscode.Uri.parse(b.uri), new vscode.Position(b.line, 0)),
          b.enabled !== false,
          b.condition,
          b.hit_condition,
          b.log_message,
        ),
    ),
    ...plan.addFunctionBreakpoints.map(
      (f) => new vscode.FunctionBreakpoint(f.functionName, f.enabled, f.condition, f.hitCondition),
    ),
  ];
  if (add.length > 0) vscode.debug.addBreakpoints(add);
  let lastTerminal: vscode.Terminal | undefined;
  for (const t of plan.openTerminals) {
    if (t.cwd && !fs.existsSync(t.cwd)) {
      problems.push(`terminal "${t.name}" (its folder ${t.cwd} is gone)`);
      continue;
    }
    lastTerminal = vscode.window.createTerminal({ name: t.name, cwd: t.cwd });
    // Typed, not run: the user decides whether to run it again.
    if (t.last_command) lastTerminal.sendText(t.last_command, false);
  }
  // The context had terminals: show them (without taking focus from the editor).
  lastTerminal?.show(true);
  return problems;
}

/** Asks VS Code to fetch the lenses of the visible documents again. */
function refreshLenses(): void {
  const feature = client?.getFeature(CodeLensRequest.method);
  if (!feature) return;
  const fired = new Set<unknown>();
  for (const e of vscode.window.visibleTextEditors) {
    const p = feature.getProvider(e.document);
    if (p && !fired.has(p)) {
      fired.add(p);
      p.onDidChangeCodeLensEmitter.fire();
    }
  }
}

// ---- status bar --------------------------------------------------------------------------

function showContext(name: string | undefined): void {
  currentName = name;
  status.text = name ? `$(history) ${name}` : '$(history) SES';
  status.tooltip = name
    ? `SES context: ${name}. Click to switch context.`
    : 'SES: no context captured here yet. Click to switch context.';
  status.show();
}

async function refreshStatus(): Promise<void> {
  try {
    showContext(currentContext(await serverCommand('ses.contexts', withRoot({}))));
  } catch (e) {
    output.appendLine(`SES: could not list contexts: ${errorText(e)}`);
    showContext(undefined);
  }
}

// ---- palette commands ------------------------------------------------------------------------

/**
 * A context holds the working tree, not VS Code's buffers: unsaved edits must reach the disk
 * first or they would be left out (capture) or collide with the files a switch writes.
 */
async function ensureSaved(action: string): Promise<boolean> {
  const dirty = vscode.workspace.textDocuments.filter((d) => d.isDirty && d.uri.scheme === 'file');
  if (dirty.length === 0) return true;
  const names = dirty.map((d) => path.basename(d.uri.fsPath)).join(', ');
  const choice = await vscode.window.showWarningMessage(
    `SES: ${dirty.length} file${dirty.length === 1 ? ' has' : 's have'} unsaved changes (${names}). Save before you ${action}?`,
    { modal: true },
    'Save All',
  );
  if (choice !== 'Save All') return false;
  return (await Promise.all(dirty.map((d) => d.save()))).every(Boolean);
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

async function captureContext(): Promise<void> {
  const name = await vscode.window.showInputBox({
    title: 'SES: Capture Context',
    prompt: 'Name of the context (capturing an existing name replaces it)',
    value: currentName ?? '',
    validateInput: (v) => (v.trim() === '' ? 'A context needs a name' : undefined),
  });
  if (name === undefined) return;
  if (!(await ensureSaved('capture'))) return;
  const snap = await snapshot();
  const editor = captureState(snap.data);
  const result = (await serverCommand('ses.capture', withRoot({ name: name.trim(), editor }))) as Record<string, unknown> | null;
  const captured = typeof result?.name === 'string' ? result.name : name.trim();
  showContext(captured);
  vscode.window.showInformationMessage(
    `SES: captured context "${captured}" (${count(editor.documents?.length ?? 0, 'file')}, ${count(editor.breakpoints?.length ?? 0, 'breakpoint')}, ${count(editor.terminals?.length ?? 0, 'terminal')}).`,
  );
}

async function switchContext(): Promise<void> {
  const items = contextItems(await serverCommand('ses.contexts', withRoot({})));
  if (items.length === 0) {
    vscode.window.showInformationMessage('SES: no contexts yet. Capture one with SES: Capture Context.');
    return;
  }
  const pick = await vscode.window.showQuickPick(
    items.map((i) => ({ label: i.label, description: i.description, detail: i.detail, name: i.name })),
    { title: 'SES: Switch Context', placeHolder: 'Context to switch to (most recently captured first)', matchOnDescription: true },
  );
  if (!pick) return;
  if (!(await ensureSaved('switch'))) return;
  const before = await snapshot();
  const result = await restoring(() =>
    serverCommand('ses.switch', withRoot({ name: pick.name, editor: captureState(before.data) })),
  );
  showContext(typeof result?.name === 'string' ? result.name : pick.name);
}

/**
 * Runs a server command that changes context (switch, recover) and restores the editor state
 * it returns, with the documents the server asked to show meanwhile, in one pass.
 */
async function restoring(run: () => Promise<unknown>): Promise<Record<string, unknown> | null> {
  const r = root();
  const rootPath = r ? vscode.Uri.parse(r).fsPath : undefined;
  const repoTop = rootPath
    ? await gitTop(fs.existsSync(rootPath) && fs.statSync(rootPath).isDirectory() ? rootPath : path.dirname(rootPath))
    : undefined;
  pendingShows = [];
  let result: Record<string, unknown> | null;
  let shows: ShowDocumentParams[];
  try {
    result = (await run()) as Record<string, unknown> | null;
  } finally {
    shows = pendingShows;
    pendingShows = undefined;
  }
  const target = (result?.editor ?? {}) as EditorState;
  // VS Code's spelling of each URI, so that the server's and the state's spellings of one
  // file (percent-encoding, drive letters) meet and the file opens once.
  const canonical = (u: string) => {
    try {
      return vscode.Uri.parse(u, true).toString();
    } catch {
      return u;
    }
  };
  if (Array.isArray(target.documents)) {
    target.documents = target.documents.map((d) =>
      d && typeof d === 'object' && typeof d.uri === 'string' ? { ...d, uri: canonical(d.uri) } : d,
    );
  }
  const now = await snapshot();
  const problems = await applyPlan(
    planRestore(
      target,
      now.data,
      shows.map((s) => ({ uri: canonical(s.uri), selection: s.selection, takeFocus: s.takeFocus })),
      repoTop ? vscode.Uri.file(repoTop).toString() : undefined,
    ),
    now,
  );
  const notes = Array.isArray(result?.notes) ? result.notes.filter((n): n is string => typeof n === 'string') : [];
  for (const n of notes) output.appendLine(`SES: ${n}`);
  if (problems.length > 0) {
    vscode.window.showWarningMessage(`SES: could not restore ${problems.join('; ')}`);
  } else if (notes.length > 0) {
    vscode.window.showInformationMessage(`SES: ${notes.join(' ')}`);
  }
  return result;
}

/**
 * Read-only pages (attribution, lost work) under the `ses-page` scheme: never dirty, so
 * closing them asks nothing; showing a page again with the same title updates it.
 */
const pages = new Map<string, string>();
const pageChanged = new vscode.EventEmitter<vscode.Uri>();

async function showPage(title: string, markdown: string, beside: boolean): Promise<void> {
  const uri = vscode.Uri.from({ scheme: 'ses-page', path: `/${title.replace(/[\\/]/g, '∕')}.md` });
  pages.set(uri.toString(), markdown);
  pageChanged.fire(uri);
  const doc = await vscode.workspace.openTextDocument(uri);
  if (doc.languageId !== 'markdown') await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
  await vscode.window.showTextDocument(doc, {
    viewColumn: beside ? vscode.ViewColumn.Beside : undefined,
    preview: true,
    preserveFocus: beside,
  });
}

async function showAttributionResult(result: unknown): Promise<void> {
  const r = (result ?? {}) as { path?: unknown; symbol?: { name?: unknown } | null };
  const what = typeof r.symbol?.name === 'string' ? `${r.symbol.name}` : typeof r.path === 'string' ? r.path : 'code';
  await showPage(`Who wrote ${what}`, attributionText(result), true);
}

async function showAttribution(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.uri.scheme !== 'file') {
    vscode.window.showInformationMessage('SES: open a file of a git repository to see who wrote it.');
    return;
  }
  const result = await serverCommand('ses.showAttribution', {
    uri: editor.document.uri.toString(),
    line: editor.selection.active.line,
  });
  await showAttributionResult(result);
}

function gitTop(dir: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', '--show-toplevel'], { cwd: dir }, (err, stdout) =>
      resolve(err ? undefined : stdout.trim()),
    );
  });
}

async function recordRevenue(): Promise<void> {
  const doc = vscode.window.activeTextEditor?.document;
  let suggestion = '.';
  if (doc && doc.uri.scheme === 'file') {
    const top = await gitTop(path.dirname(doc.uri.fsPath));
    if (top) suggestion = path.relative(top, doc.uri.fsPath).split(path.sep).join('/');
  }
  const target = await vscode.window.showInputBox({
    title: 'SES: Record Revenue (1/3)',
    prompt: 'What earned it: a file (path from the repository top), PATH::SYMBOL, or . for the whole repository',
    value: suggestion,
    validateInput: (v) => (v.trim() === '' ? 'Name a file, PATH::SYMBOL, or .' : undefined),
  });
  if (target === undefined) return;
  const currency = await vscode.window.showInputBox({
    title: 'SES: Record Revenue (2/3)',
    prompt: 'Currency (ISO 4217)',
    value: config().get<string>('currency', 'USD'),
    validateInput: (v) => (/^[A-Z]{3}$/.test(v.trim()) ? undefined : 'Three capital letters, e.g. USD'),
  });
  if (currency === undefined) return;
  const amount = await vscode.window.showInputBox({
    title: 'SES: Record Revenue (3/3)',
    prompt: `Amount in ${currency.trim()}`,
    placeHolder: '12.34',
    validateInput: (v) => amountProblem(v, currency.trim()),
  });
  if (amount === undefined) return;
  const memo = await vscode.window.showInputBox({
    title: 'SES: Record Revenue',
    prompt: 'Memo (optional)',
  });
  if (memo === undefined) return;
  const arg: Record<string, unknown> = { target: target.trim(), amount: amount.trim(), currency: currency.trim() };
  if (memo.trim() !== '') arg.memo = memo.trim();
  const result = (await serverCommand('ses.revenue.record', withRoot(arg))) as { id?: unknown } | null;
  vscode.window.showInformationMessage(
    `SES: recorded ${amount.trim()} ${currency.trim()} for ${target.trim()}${typeof result?.id === 'string' ? ` (${result.id})` : ''}.`,
  );
  refreshLenses();
}

async function revenueSplit(): Promise<void> {
  const result = await serverCommand('ses.revenue.split', withRoot({ currency: config().get<string>('currency', 'USD') }));
  const lines = splitLines(result);
  await vscode.window.showQuickPick(lines.map((label) => ({ label })), {
    title: 'SES: Revenue Split',
    placeHolder: 'Who gets what, from the revenue recorded so far',
  });
}

async function recoverLostWork(): Promise<void> {
  const items = pendingItems(await serverCommand('ses.recover', withRoot({})));
  if (items.length === 0) {
    vscode.window.showInformationMessage('SES: nothing to recover: every context switch finished.');
    return;
  }
  const pick = await vscode.window.showQuickPick(items, {
    title: 'SES: Recover Lost Work',
    placeHolder: 'A switch that did not finish: restore the work it saved (what is there now is saved first)',
  });
  if (!pick) return;
  const result = await restoring(() => serverCommand('ses.recover', withRoot({ restore: pick.id })));
  const name = typeof result?.name === 'string' ? result.name : undefined;
  if (name) showContext(name);
  vscode.window.showInformationMessage(
    `SES: recovered ${name ? `"${name}"` : 'the work'}${typeof result?.files === 'number' ? ` (${result.files} files)` : ''}.`,
  );
}

function register(context: vscode.ExtensionContext, id: string, run: () => Promise<void>): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(id, async () => {
      try {
        await run();
      } catch (e) {
        output.appendLine(`${id}: ${errorText(e)}`);
        vscode.window.showErrorMessage(`SES: ${errorText(e)}`);
      }
    }),
  );
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('SES');
  status = vscode.window.createStatusBarItem('ses.context', vscode.StatusBarAlignment.Left, 50);
  status.name = 'SES Context';
  status.command = 'ses.vscode.switchContext';
  showContext(undefined);
  context.subscriptions.push(
    output,
    status,
    pageChanged,
    vscode.workspace.registerTextDocumentContentProvider('ses-page', {
      onDidChange: pageChanged.event,
      provideTextDocumentContent: (uri) => pages.get(uri.toString()) ?? '',
    }),
  );

  register(context, 'ses.vscode.captureContext', captureContext);
  register(context, 'ses.vscode.switchContext', switchContext);
  register(context, 'ses.vscode.showAttribution', showAttribution);
  register(context, 'ses.vscode.recordRevenue', recordRevenue);
  register(context, 'ses.vscode.revenueSplit', revenueSplit);
  register(context, 'ses.vscode.recoverLostWork', recoverLostWork);
  register(context, 'ses.vscode.restartServer', async () => {
    if (client) {
      const old = client;
      client = undefined;
      await old.stop();
    }
    await startClient(context);
  });

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('ses.lenses.enabled')) {
        output.appendLine(`ses.lenses.enabled: ${config().get<boolean>('lenses.enabled', true)}`);
        refreshLenses();
      }
      if (e.affectsConfiguration('ses.path')) {
        await vscode.commands.executeCommand('ses.vscode.restartServer');
      }
    }),
  );

  await startClient(context);
}

export async function deactivate(): Promise<void> {
  if (client) await client.stop();
}
