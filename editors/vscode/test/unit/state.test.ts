// The capture/restore mapping, without VS Code: workbench snapshots in, SES editor-state
// JSON out, and back to a restore plan.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';

import {
  EditorState,
  FUNCTION_BREAKPOINT,
  WorkbenchSnapshot,
  captureState,
  planRestore,
} from '../../src/state';

const A = 'file:///repo/src/a.rs';
const B = 'file:///repo/src/b.py';
const C = 'file:///repo/README.md';

const p = (line: number, character: number) => ({ line, character });

function empty(): WorkbenchSnapshot {
  return { visibleEditors: [], tabs: [], breakpoints: [], functionBreakpoints: [], terminals: [] };
}

function workbench(): WorkbenchSnapshot {
  return {
    visibleEditors: [
      {
        uri: B,
        // A backwards selection: the cursor (active) is before the anchor.
        selections: [{ anchor: p(9, 4), active: p(7, 0) }],
        visibleRanges: [{ start: p(0, 0), end: p(30, 0) }],
        viewColumn: 2,
        active: true,
      },
      {
        uri: A,
        selections: [
          { anchor: p(3, 4), active: p(3, 4) },
          { anchor: p(10, 0), active: p(12, 2) },
        ],
        visibleRanges: [
          { start: p(0, 0), end: p(20, 0) },
          { start: p(40, 0), end: p(60, 5) },
        ],
        viewColumn: 1,
        active: false,
      },
      {
        uri: 'output:extension-output-ses',
        selections: [{ anchor: p(0, 0), active: p(0, 0) }],
        visibleRanges: [],
        viewColumn: 1,
        active: false,
      },
    ],
    tabs: [
      { uri: C, viewColumn: 1, index: 0, active: false, dirty: false },
      { uri: A, viewColumn: 1, index: 1, active: true, dirty: false },
      { uri: B, viewColumn: 2, index: 0, active: true, dirty: false },
      { uri: 'untitled:Untitled-1', viewColumn: 2, index: 1, active: false, dirty: true },
    ],
    breakpoints: [
      { uri: B, line: 8, enabled: true, condition: 'x > 1' },
      { uri: A, line: 5, enabled: false, hitCondition: '3', logMessage: 'hit {x}' },
    ],
    functionBreakpoints: [{ functionName: 'main', enabled: true }],
    terminals: [{ name: 'build', cwd: '/repo' }, { name: 'bash' }],
    editorLayout: { orientation: 0, groups: [{ size: 500 }, { size: 500 }] },
  };
}

test('capture maps editors, tabs, breakpoints, terminals and layout to SES JSON', () => {
  assert.deepEqual(captureState(workbench()), {
    documents: [
      // Open but not visible first, then visible by column, the focused one last.
      { uri: C, view_column: 1, tab: 0 },
      {
        uri: A,
        cursor: p(3, 4),
        selections: [
          { start: p(3, 4), end: p(3, 4) },
          { start: p(10, 0), end: p(12, 2) },
        ],
        visible: { start: p(0, 0), end: p(60, 5) },
        view_column: 1,
        tab: 1,
      },
      {
        uri: B,
        cursor: p(7, 0),
        selections: [{ start: p(7, 0), end: p(9, 4) }],
        visible: { start: p(0, 0), end: p(30, 0) },
        view_column: 2,
        focused: true,
        tab: 0,
      },
    ],
    layout: { vscode: { orientation: 0, groups: [{ size: 500 }, { size: 500 }] } },
    breakpoints: [
      { uri: A, line: 5, enabled: false, hit_condition: '3', log_message: 'hit {x}' },
      { uri: B, line: 8, enabled: true, condition: 'x > 1' },
    ],
    terminals: [{ name: 'build', cwd: '/repo' }, { name: 'bash' }],
    extras: [{ kind: FUNCTION_BREAKPOINT, function: 'main', enabled: true }],
  });
});

test('capture is deterministic and JSON-clean', () => {
  const a = JSON.stringify(captureState(workbench()));
  const b = JSON.stringify(captureState(workbench()));
  assert.equal(a, b);
  assert.deepEqual(JSON.parse(a), captureState(workbench()));
});

test('capture of an empty window has empty lists and no layout', () => {
  assert.deepEqual(captureState(empty()), { documents: [], breakpoints: [], terminals: [] });
});

test('a capture restored into an empty window reopens the same editors', () => {
  const state = captureState(workbench());
  const plan = planRestore(JSON.parse(JSON.stringify(state)) as EditorState, empty());
  assert.deepEqual(
    plan.open.map((s) => [s.uri, s.viewColumn, s.focus]),
    [
      [C, 1, false],
      [A, 1, false],
      [B, 2, true],
    ],
  );
  // Selections come back with their direction: B's cursor is at the start.
  assert.deepEqual(plan.open[2].selections, [{ anchor: p(9, 4), active: p(7, 0) }]);
  assert.deepEqual(plan.open[1].selections, [
    { anchor: p(3, 4), active: p(3, 4) },
    { anchor: p(10, 0), active: p(12, 2) },
  ]);
  assert.deepEqual(plan.open[1].visible, { start: p(0, 0), end: p(60, 5) });
  assert.deepEqual(plan.open[0].selections, []);
  assert.deepEqual(plan.editorLayout, { orientation: 0, groups: [{ size: 500 }, { size: 500 }] });
  assert.deepEqual(
    plan.addBreakpoints.map((b) => [b.uri, b.line]),
    [
      [A, 5],
      [B, 8],
    ],
  );
  assert.deepEqual(plan.addFunctionBreakpoints, [{ functionName: 'main', enabled: true }]);
  assert.deepEqual(plan.openTerminals, [{ name: 'build', cwd: '/repo' }, { name: 'bash' }]);
  assert.deepEqual(plan.close, []);
});

test('a document with only a cursor gets a zero-width selection there', () => {
  const plan = planRestore({ documents: [{ uri: A, cursor: p(4, 2) }] }, empty());
  assert.deepEqual(plan.open, [
    { uri: A, viewColumn: undefined, selections: [{ anchor: p(4, 2), active: p(4, 2) }], visible: undefined, focus: true },
  ]);
});

test('restoring replaces breakpoints and keeps what is already right', () => {
  const current = workbench();
  const target: EditorState = {
    breakpoints: [
      { uri: B, line: 8, enabled: true, condition: 'x > 1' }, // unchanged: kept
      { uri: A, line: 5, enabled: true }, // changed: removed and added again
      { uri: C, line: 0 }, // new
    ],
  };
  const plan = planRestore(target, current);
  assert.deepEqual(
    plan.addBreakpoints.map((b) => [b.uri, b.line]),
    [
      [A, 5],
      [C, 0],
    ],
  );
  assert.deepEqual(plan.removeBreakpoints.map((b) => [b.uri, b.line]), [[A, 5]]);
  assert.deepEqual(plan.removeFunctionBreakpoints, [{ functionName: 'main', enabled: true }]);
});

test('restoring closes only saved file tabs the target does not have', () => {
  const current = workbench();
  current.tabs.push({ uri: 'file:///repo/dirty.rs', viewColumn: 1, index: 2, active: false, dirty: true });
  const plan = planRestore({ documents: [{ uri: A }] }, current);
  assert.deepEqual(
    plan.close.map((t) => t.uri),
    [C, B],
  );
});

test('terminals already open are not opened again', () => {
  const plan = planRestore(
    { terminals: [{ name: 'build', cwd: '/repo' }, { name: 'server', cwd: '/repo/web', last_command: 'npm start' }] },
    workbench(),
  );
  assert.deepEqual(plan.openTerminals, [{ name: 'server', cwd: '/repo/web', last_command: 'npm start' }]);
});

test('showDocument requests merge into the plan without opening a file twice', () => {
  const plan = planRestore(
    { documents: [{ uri: A, cursor: p(1, 0), view_column: 2 }, { uri: B, cursor: p(2, 0), focused: true }] },
    empty(),
    [
      { uri: A, selection: { start: p(1, 0), end: p(1, 0) }, takeFocus: false },
      { uri: B, selection: { start: p(2, 0), end: p(2, 0) }, takeFocus: true },
      { uri: C, selection: { start: p(5, 1), end: p(5, 3) }, takeFocus: false },
    ],
  );
  assert.deepEqual(
    plan.open.map((s) => [s.uri, s.viewColumn, s.focus]),
    [
      [A, 2, false],
      [C, undefined, false],
      [B, undefined, true],
    ],
  );
  assert.deepEqual(plan.open[1].selections, [{ anchor: p(5, 1), active: p(5, 3) }]);
});

test('the same document twice in one column is opened once, at its last place', () => {
  const plan = planRestore(
    { documents: [{ uri: A, cursor: p(1, 0) }, { uri: B }, { uri: A, cursor: p(9, 0) }] },
    empty(),
  );
  assert.deepEqual(
    plan.open.map((s) => [s.uri, s.selections[0]?.active.line]),
    [
      [B, undefined],
      [A, 9],
    ],
  );
});

test('malformed state from the server is ignored, not thrown', () => {
  const bad = {
    documents: [null, { uri: 5 }, { uri: A, cursor: { line: -1, character: 0 }, selections: 'x', view_column: 'two' }],
    breakpoints: [{ uri: A, line: 1.5 }, null, { uri: B, line: 2 }],
    terminals: [{ cwd: '/x' }, { name: 'ok' }],
    extras: [null, 3, { kind: FUNCTION_BREAKPOINT }, { kind: 'other', function: 'f' }],
    layout: 7,
  } as unknown as EditorState;
  const plan = planRestore(bad, empty());
  assert.deepEqual(plan.open, [{ uri: A, viewColumn: undefined, selections: [], visible: undefined, focus: true }]);
  assert.deepEqual(plan.addBreakpoints, [{ uri: B, line: 2 }]);
  assert.deepEqual(plan.openTerminals, [{ name: 'ok' }]);
  assert.deepEqual(plan.addFunctionBreakpoints, []);
  assert.equal(plan.editorLayout, undefined);
});

test('with a scope, other repositories keep their tabs and breakpoints', () => {
  const other = 'file:///elsewhere/x.rs';
  const current = empty();
  current.tabs = [
    { uri: C, viewColumn: 1, index: 0, active: false, dirty: false },
    { uri: other, viewColumn: 1, index: 1, active: true, dirty: false },
    // A sibling folder whose name starts like the repository's is not inside it.
    { uri: 'file:///repo-two/y.rs', viewColumn: 1, index: 2, active: false, dirty: false },
  ];
  current.breakpoints = [
    { uri: C, line: 1, enabled: true },
    { uri: other, line: 2, enabled: true },
  ];
  const plan = planRestore({ documents: [{ uri: A }], breakpoints: [] }, current, [], 'file:///repo');
  assert.deepEqual(plan.close.map((t) => t.uri), [C]);
  assert.deepEqual(plan.removeBreakpoints.map((b) => b.uri), [C]);
  const unscoped = planRestore({ documents: [{ uri: A }], breakpoints: [] }, current);
  assert.equal(unscoped.close.length, 3);
  assert.equal(unscoped.removeBreakpoints.length, 2);
});
