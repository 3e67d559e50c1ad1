// Finding the `ses` binary: the `ses.path` setting, else `ses` on PATH.
//
// Invariant: no `vscode` import (tested in plain Node); the file system is reached only
// through the `isExecutable` function given, so tests decide what exists.

import * as path from 'path';

export const INSTALL_HINT =
  'Install it with `cargo install --locked --path ses-lsp` from a clone of SES, or set `ses.path` to the binary.';

export type Resolution = { command: string } | { error: string };

export interface ResolveInput {
  /** The `ses.path` setting (empty or unset: search PATH). */
  setting?: string;
  /** The PATH environment variable. */
  envPath?: string;
  home?: string;
  platform?: NodeJS.Platform;
  isExecutable: (file: string) => boolean;
}

export function resolveServer(input: ResolveInput): Resolution {
  const platform = input.platform ?? process.platform;
  const setting = (input.setting ?? '').trim();
  if (setting !== '') {
    let file = setting;
    if ((file === '~' || file.startsWith('~/')) && input.home) {
      file = path.join(input.home, file.slice(1));
    }
    if (!path.isAbsolute(file)) {
      return { error: `The setting ses.path is "${setting}", which is not an absolute path. Set it to the full path of the ses binary.` };
    }
    if (!input.isExecutable(file)) {
      return { error: `The setting ses.path names ${file}, which is not an executable file. ${INSTALL_HINT}` };
    }
    return { command: file };
  }
  const names = platform === 'win32' ? ['ses.exe', 'ses.cmd', 'ses'] : ['ses'];
  const sep = platform === 'win32' ? ';' : ':';
  for (const dir of (input.envPath ?? '').split(sep)) {
    if (dir === '') continue;
    for (const name of names) {
      const file = path.join(dir, name);
      if (input.isExecutable(file)) return { command: file };
    }
  }
  return { error: `The SES language server (the ses binary) was not found on PATH. ${INSTALL_HINT}` };
}
