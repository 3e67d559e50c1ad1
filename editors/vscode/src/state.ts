// The mapping between what VS Code shows and SES's editor-state JSON (the `editor` param of
// context.capture / context.switch and the `editor` of their results), in both directions.
//
// Invariants: nothing here imports `vscode`, so it runs (and is tested) in plain Node; the
// snapshot types are the few fields of VS Code's objects the mapping reads. Capture is
// deterministic (same editors → same JSON). Restore never discards work: it plans to close
// only tabs that are saved, and never a terminal.

/** An LSP position: 0-based line, UTF-16 character. */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface StateDocument {
  uri: string;
  cursor?: Position;
  selections?: Range[];
  visible?: Range;
  view_column?: number;
  focused?: boolean;
  tab?: number;
}

export interface StateBreakpoint {
  uri: string;
  line: number;
  condition?: string;
  enabled?: boolean;
  hit_condition?: string;
  log_message?: string;
}

export interface StateTerminal {
  name: string;
  cwd?: string;
  last_command?: string;
}

/** SES's editor-state JSON; every field is optional. */
export interface EditorState {
  documents?: StateDocument[];
  layout?: unknown;
  breakpoints?: StateBreakpoint[];
  terminals?: StateTerminal[];
  extras?: unknown[];
}

/** A selection as VS Code keeps it: the anchor stays, the active end is the cursor. */
export interface Selection {
  anchor: Position;
  active: Position;
}

/** One visible text editor (vscode.window.visibleTextEditors). */
export interface VisibleEditorSnapshot {
  uri: string;
  selections: Selection[];
  visibleRanges: Range[];
  viewColumn?: number;
  active: boolean;
}

/** One tab of a tab group (vscode.window.tabGroups), text tabs only. */
export interface TabSnapshot {
  uri: string;
  viewColumn: number;
  index: number;
  active: boolean;
  dirty: boolean;
}

export interface SourceBreakpointSnapshot {
  uri: string;
  line: number;
  enabled: boolean;
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
}

export interface FunctionBreakpointSnapshot {
  functionName: string;
  enabled: boolean;
  condition?: string;
  hitCondition?: string;
}

export interface TerminalSnapshot {
  name: string;
  cwd?: string;
}

/** Everything capture reads from VS Code, as plain data. */
export interface WorkbenchSnapshot {
  visibleEditors: VisibleEditorSnapshot[];
  tabs: TabSnapshot[];
  breakpoints: SourceBreakpointSnapshot[];
  functionBreakpoints: FunctionBreakpointSnapshot[];
  terminals: TerminalSnapshot[];
  /** What `vscode.getEditorLayout` returned, when it did. */
  editorLayout?: unknown;
}

/** The `kind` of a function breakpoint kept in `extras` (SES's JSON has no field for them). */
export const FUNCTION_BREAKPOINT = 'vscode.functionBreakpoint';

function isFileUri(uri: string): boolean {
  // Only files can be reopened from another session: untitled buffers, output channels and
  // the like are left out.
  return uri.startsWith('file:');
}

function comparePositions(a: Position, b: Position): number {
  return a.line - b.line || a.character - b.character;
}

function normalise(s: Selection): Range {
  return comparePositions(s.anchor, s.active) <= 0
    ? { start: s.anchor, end: s.active }
    : { start: s.active, end: s.anchor };
}

function copyPosition(p: Position): Position {
  return { line: p.line, character: p.character };
}

function copyRange(r: Range): Range {
  return { start: copyPosition(r.start), end: copyPosition(r.end) };
}

/**
 * The editor state of a workbench. Documents are ordered as SES expects them: tabs that are
 * open but not visible first (in group then tab order), then the visible editors by view
 * column, the focused editor last.
 */
export function captureState(snap: WorkbenchSnapshot): EditorState {
  const visibleKeys = new Set(
    snap.visibleEditors.map((e) => `${e.viewColumn ?? 0}\u0000${e.uri}`),
  );
  const tabIndex = new Map<string, number>();
  for (const t of snap.tabs) tabIndex.set(`${t.viewColumn}\u0000${t.uri}`, t.index);

  const hidden: StateDocument[] = snap.tabs
    .filter((t) => isFileUri(t.uri) && !visibleKeys.has(`${t.viewColumn}\u0000${t.uri}`))
    .sort((a, b) => a.viewColumn - b.viewColumn || a.index - b.index)
    .map((t) => ({ uri: t.uri, view_column: t.viewColumn, tab: t.index }));

  const visible = snap.visibleEditors
    .filter((e) => isFileUri(e.uri))
    .map((e, order) => ({ e, order }))
    .sort(
      (a, b) =>
        Number(a.e.active) - Number(b.e.active) ||
        (a.e.viewColumn ?? 0) - (b.e.viewColumn ?? 0) ||
        a.order - b.order,
    )
    .map(({ e }) => {
      const doc: StateDocument = { uri: e.uri };
      if (e.selections.length > 0) {
        doc.cursor = copyPosition(e.selections[0].active);
        doc.selections = e.selections.map(normalise).map(copyRange);
      }
      if (e.visibleRanges.length > 0) {
        doc.visible = {
          start: copyPosition(e.visibleRanges[0].start),
          end: copyPosition(e.visibleRanges[e.visibleRanges.length - 1].end),
        };
      }
      if (e.viewColumn !== undefined) doc.view_column = e.viewColumn;
      if (e.active) doc.focused = true;
      const tab = tabIndex.get(`${e.viewColumn ?? 0}\u0000${e.uri}`);
      if (tab !== undefined) doc.tab = tab;
      return doc;
    });

  const state: EditorState = { documents: [...hidden, ...visible] };
  if (snap.editorLayout !== undefined) state.layout = { vscode: snap.editorLayout };
  state.breakpoints = snap.breakpoints
    .map((b) => {
      const out: StateBreakpoint = { uri: b.uri, line: b.line, enabled: b.enabled };
      if (b.condition) out.condition = b.condition;
      if (b.hitCondition) out.hit_condition = b.hitCondition;
      if (b.logMessage) out.log_message = b.logMessage;
      return out;
    })
    .sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : a.line - b.line));
  state.terminals = snap.terminals.map((t) => (t.cwd ? { name: t.name, cwd: t.cwd } : { name: t.name }));
  const fns = snap.functionBreakpoints.map((f) => {
    const out: Record<string, unknown> = {
      kind: FUNCTION_BREAKPOINT,
      function: f.functionName,
      enabled: f.enabled,
    };
    if (f.condition) out.condition = f.condition;
    if (f.hitCondition) out.hit_condition = f.hitCondition;
    return out;
  });
  if (fns.length > 0) state.extras = fns;
  return state;
}

/** Opening one document: where, with which selections, scrolled where, focused or not. */
export interface OpenStep {
  uri: string;
  viewColumn?: number;
  selections: Selection[];
  visible?: Range;
  focus: boolean;
}

export interface RestorePlan {
  /** The `vscode.setEditorLayout` argument, when the state has one. */
  editorLayout?: unknown;
  /** Saved tabs that the target context does not have, to close first. */
  close: TabSnapshot[];
  /** In order; only the last one takes focus. */
  open: OpenStep[];
  addBreakpoints: StateBreakpoint[];
  removeBreakpoints: SourceBreakpointSnapshot[];
  addFunctionBreakpoints: FunctionBreakpointSnapshot[];
  removeFunctionBreakpoints: FunctionBreakpointSnapshot[];
  /** Terminals of the context that are not open yet (open ones are kept, never killed). */
  openTerminals: StateTerminal[];
}

function isPosition(v: unknown): v is Position {
  const p = v as Position;
  return (
    typeof p === 'object' &&
    p !== null &&
    Number.isInteger(p.line) &&
    Number.isInteger(p.character) &&
    p.line >= 0 &&
    p.character >= 0
  );
}

function isRange(v: unknown): v is Range {
  const r = v as Range;
  return typeof r === 'object' && r !== null && isPosition(r.start) && isPosition(r.end);
}

function selectionsOf(doc: StateDocument): Selection[] {
  const ranges = Array.isArray(doc.selections) ? doc.selections.filter(isRange) : [];
  const cursor = isPosition(doc.cursor) ? doc.cursor : undefined;
  if (ranges.length === 0) {
    return cursor ? [{ anchor: copyPosition(cursor), active: copyPosition(cursor) }] : [];
  }
  return ranges.map((r, i) => {
    // The cursor says which end of the first selection is active (a backwards selection
    // has its cursor at the start).
    const backwards =
      i === 0 &&
      cursor !== undefined &&
      comparePositions(cursor, r.start) === 0 &&
      comparePositions(r.start, r.end) !== 0;
    return backwards
      ? { anchor: copyPosition(r.end), active: copyPosition(r.start) }
      : { anchor: copyPosition(r.start), active: copyPosition(r.end) };
  });
}

function breakpointKey(uri: string, line: number): string {
  return `${uri}\u0000${line}`;
}

function functionBreakpointsOf(state: EditorState): FunctionBreakpointSnapshot[] {
  if (!Array.isArray(state.extras)) return [];
  const out: FunctionBreakpointSnapshot[] = [];
  for (const e of state.extras) {
    const x = e as Record<string, unknown>;
    if (typeof x !== 'object' || x === null || x.kind !== FUNCTION_BREAKPOINT) continue;
    if (typeof x.function !== 'string') continue;
    const f: FunctionBreakpointSnapshot = { functionName: x.function, enabled: x.enabled !== false };
    if (typeof x.condition === 'string') f.condition = x.condition;
    if (typeof x.hit_condition === 'string') f.hitCondition = x.hit_condition;
    out.push(f);
  }
  return out;
}

/**
 * What to do to show `target` (a switch's result editor state) in a workbench that now shows
 * `current`. `requested` are the documents the server asked to show (window/showDocument)
 * during the switch: they are opened too, in the plan's single pass, so none opens twice.
 * `scope` (the repository's top folder as a file URI) limits what is closed and which
 * breakpoints are replaced to that repository: other folders of a multi-root workspace
 * keep their tabs and breakpoints.
 */
export function planRestore(
  target: EditorState,
  current: WorkbenchSnapshot,
  requested: { uri: string; selection?: Range; takeFocus?: boolean }[] = [],
  scope?: string,
): RestorePlan {
  const prefix = scope === undefined ? undefined : scope.endsWith('/') ? scope : `${scope}/`;
  const inScope = (uri: string) => prefix === undefined || uri.startsWith(prefix);
  const docs = (Array.isArray(target.documents) ? target.documents : []).filter(
    (d) => d !== null && typeof d === 'object' && typeof d.uri === 'string',
  );

  const steps: OpenStep[] = [];
  const seen = new Map<string, OpenStep>();
  for (const d of docs) {
    const col =
      Number.isInteger(d.view_column) && (d.view_column as number) >= 1 ? d.view_column : undefined;
    const key = `${col ?? 0}\u0000${d.uri}`;
    const step: OpenStep = {
      uri: d.uri,
      viewColumn: col,
      selections: selectionsOf(d),
      visible: isRange(d.visible) ? copyRange(d.visible) : undefined,
      focus: d.focused === true,
    };
    const prev = seen.get(key);
    if (prev) steps.splice(steps.indexOf(prev), 1);
    seen.set(key, step);
    steps.push(step);
  }
  const byUri = new Set(steps.map((s) => s.uri));
  for (const r of requested) {
    if (byUri.has(r.uri)) {
      if (r.takeFocus) for (const s of steps) s.focus = s.uri === r.uri ? true : s.focus;
      continue;
    }
    byUri.add(r.uri);
    const sel = r.selection && isRange(r.selection) ? r.selection : undefined;
    steps.push({
      uri: r.uri,
      selections: sel ? [{ anchor: copyPosition(sel.start), active: copyPosition(sel.end) }] : [],
      focus: r.takeFocus === true,
    });
  }
  // Exactly one step takes focus, and it goes last so that the editor it shows stays in front.
  let focusAt = -1;
  steps.forEach((s, i) => {
    if (s.focus) focusAt = i;
  });
  if (focusAt < 0) focusAt = steps.length - 1;
  if (focusAt >= 0) {
    const [f] = steps.splice(focusAt, 1);
    steps.forEach((s) => (s.focus = false));
    f.focus = true;
    steps.push(f);
  }

  const wanted = new Set(steps.map((s) => s.uri));
  const close = current.tabs.filter(
    (t) => isFileUri(t.uri) && !t.dirty && !wanted.has(t.uri) && inScope(t.uri),
  );

  const targetBps = (Array.isArray(target.breakpoints) ? target.breakpoints : []).filter(
    (b) => b && typeof b.uri === 'string' && Number.isInteger(b.line) && b.line >= 0,
  );
  const have = new Map(current.breakpoints.map((b) => [breakpointKey(b.uri, b.line), b]));
  const want = new Set(targetBps.map((b) => breakpointKey(b.uri, b.line)));
  const same = (b: StateBreakpoint, h: SourceBreakpointSnapshot) =>
    h.enabled === (b.enabled !== false) &&
    (h.condition ?? '') === (b.condition ?? '') &&
    (h.hitCondition ?? '') === (b.hit_condition ?? '') &&
    (h.logMessage ?? '') === (b.log_message ?? '');
  const addBreakpoints = targetBps.filter((b) => {
    const h = have.get(breakpointKey(b.uri, b.line));
    return !h || !same(b, h);
  });
  const changed = new Set(addBreakpoints.map((b) => breakpointKey(b.uri, b.line)));
  const removeBreakpoints = current.breakpoints.filter((b) => {
    const k = breakpointKey(b.uri, b.line);
    return changed.has(k) || (!want.has(k) && inScope(b.uri));
  });

  const targetFns = functionBreakpointsOf(target);
  const fnKey = (f: FunctionBreakpointSnapshot) =>
    JSON.stringify([f.functionName, f.enabled, f.condition ?? '', f.hitCondition ?? '']);
  const haveFns = new Set(current.functionBreakpoints.map(fnKey));
  const wantFns = new Set(targetFns.map(fnKey));

  const openTerms = new Set(current.terminals.map((t) => `${t.name}\u0000${t.cwd ?? ''}`));
  const openTerminals = (Array.isArray(target.terminals) ? target.terminals : [])
    .filter((t) => t && typeof t.name === 'string')
    .filter((t) => !openTerms.has(`${t.name}\u0000${t.cwd ?? ''}`));

  const layout = target.layout as { vscode?: unknown } | undefined;
  return {
    editorLayout: layout && typeof layout === 'object' ? layout.vscode : undefined,
    close,
    open: steps,
    addBreakpoints,
    removeBreakpoints,
    addFunctionBreakpoints: targetFns.filter((f) => !haveFns.has(fnKey(f))),
    removeFunctionBreakpoints: current.functionBreakpoints.filter((f) => !wantFns.has(fnKey(f))),
    openTerminals,
  };
}
