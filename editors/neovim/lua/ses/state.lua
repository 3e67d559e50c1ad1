-- The editor state of a context: what `:Ses capture` sends and `:Ses switch` restores.
--
-- The shared part follows the editor-state JSON every SES client speaks (documents with
-- LSP positions, terminals); Neovim's own arrangement (tab pages, the split tree of each,
-- window sizes and views) goes in `layout`, so another editor ignores it and Neovim
-- restores it exactly. Restoring never discards a modified buffer: windows are rebuilt
-- with 'hidden' set, and only unmodified file buffers are ever unloaded.
local compat = require('ses.compat')

local M = {}

local LAYOUT_FORMAT = 'nvim-layout/1'

local function file_of(buf)
  if not vim.api.nvim_buf_is_valid(buf) or vim.bo[buf].buftype ~= '' then
    return nil
  end
  local name = vim.api.nvim_buf_get_name(buf)
  if name == '' then
    return nil
  end
  return vim.fn.fnamemodify(name, ':p')
end

local function inside(path, root)
  return root ~= nil and (path == root or path:sub(1, #root + 1) == root .. '/')
end

local function line_text(buf, row)
  return vim.api.nvim_buf_get_lines(buf, row, row + 1, false)[1] or ''
end

--- LSP position of a (1-based row, 0-based byte col) position in buf.
local function to_lsp(buf, row, col)
  local line = line_text(buf, row - 1)
  return { line = row - 1, character = compat.utf16_col(line, col) }
end

--- (1-based row, byte col) in buf of an LSP position, clamped to the buffer.
local function from_lsp(buf, pos)
  local count = vim.api.nvim_buf_line_count(buf)
  local row = math.max(1, math.min((pos.line or 0) + 1, count))
  local col = compat.byte_col(line_text(buf, row - 1), pos.character or 0)
  return row, col
end

--- The cwd of a terminal buffer's job, read from /proc (Linux) when it can be.
local function terminal_cwd(buf)
  local ok, chan = pcall(function()
    return vim.bo[buf].channel
  end)
  if ok and chan and chan > 0 then
    local pid_ok, pid = pcall(vim.fn.jobpid, chan)
    if pid_ok and pid and pid > 0 then
      local cwd = vim.loop.fs_readlink('/proc/' .. pid .. '/cwd')
      if cwd then
        return cwd
      end
    end
  end
  -- term://{cwd}//{pid}:{cmd}
  local cwd = vim.api.nvim_buf_get_name(buf):match('^term://(.-)//%d+:')
  if cwd then
    return vim.fn.fnamemodify(vim.fn.expand(cwd), ':p'):gsub('/$', '')
  end
  return vim.fn.getcwd()
end

local function terminal_command(buf)
  return vim.api.nvim_buf_get_name(buf):match('^term://.-//%d+:(.*)$')
end

--- Replaces each leaf of vim.fn.winlayout() with a description of its window; leaves
--- that are neither a file nor a terminal are dropped (a split left with one child
--- collapses into it).
local function describe(node, ctx)
  if node[1] == 'leaf' then
    local win = node[2]
    local buf = vim.api.nvim_win_get_buf(win)
    local leaf = {
      width = vim.api.nvim_win_get_width(win),
      height = vim.api.nvim_win_get_height(win),
      current = win == ctx.current_win or nil,
    }
    local path = file_of(buf)
    if path then
      local cursor = vim.api.nvim_win_get_cursor(win)
      local view = vim.api.nvim_win_call(win, vim.fn.winsaveview)
      leaf.uri = vim.uri_from_fname(path)
      leaf.cursor = to_lsp(buf, cursor[1], cursor[2])
      leaf.topline = view.topline - 1
      ctx.seen[buf] = ctx.seen[buf] or { win = win, tab = ctx.tab }
    elseif vim.bo[buf].buftype == 'terminal' then
      leaf.terminal = ctx.terminal_index(buf)
    else
      return nil
    end
    return { 'leaf', leaf }
  end
  local children = {}
  for _, child in ipairs(node[2]) do
    local d = describe(child, ctx)
    if d then
      table.insert(children, d)
    end
  end
  if #children == 0 then
    return nil
  elseif #children == 1 then
    return children[1]
  end
  return { node[1], children }
end

--- The editor state of this Neovim, for the repository at `root`.
function M.capture(root)
  local current_win = vim.api.nvim_get_current_win()
  local current_buf = vim.api.nvim_get_current_buf()
  local terminals, terminal_of = {}, {}
  local ctx = {
    current_win = current_win,
    seen = {},
    terminal_index = function(buf)
      if not terminal_of[buf] then
        table.insert(terminals, {
          name = vim.api.nvim_buf_get_name(buf),
          cwd = terminal_cwd(buf),
          last_command = terminal_command(buf),
        })
        terminal_of[buf] = #terminals - 1
      end
      return terminal_of[buf]
    end,
  }
  local tabs = {}
  local current_tab = 0
  for i, tab in ipairs(vim.api.nvim_list_tabpages()) do
    ctx.tab = i - 1
    if tab == vim.api.nvim_get_current_tabpage() then
      current_tab = i - 1
    end
    local tree = describe(vim.fn.winlayout(vim.api.nvim_tabpage_get_number(tab)), ctx)
    if tree then
      table.insert(tabs, tree)
    end
  end
  -- Terminals not on screen belong to the context too.
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.bo[buf].buftype == 'terminal' then
      ctx.terminal_index(buf)
    end
  end

  local documents = {}
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    local path = file_of(buf)
    if path and vim.bo[buf].buflisted and inside(path, root) then
      local shown = ctx.seen[buf]
      local doc = { uri = vim.uri_from_fname(path), focused = buf == current_buf }
      if shown then
        local cursor = vim.api.nvim_win_get_cursor(shown.win)
        doc.cursor = to_lsp(buf, cursor[1], cursor[2])
        local view = vim.api.nvim_win_call(shown.win, function()
          return { top = vim.fn.line('w0'), bot = vim.fn.line('w$') }
        end)
        doc.visible = {
          start = { line = view.top - 1, character = 0 },
          ['end'] = { line = view.bot - 1, character = 0 },
        }
        doc.view_column = vim.api.nvim_win_get_number(shown.win)
        doc.tab = shown.tab
      elseif vim.api.nvim_buf_is_loaded(buf) then
        -- A hidden buffer: where the cursor was when it was last shown.
        local mark = vim.api.nvim_buf_get_mark(buf, '"')
        if mark[1] > 0 then
          doc.cursor = to_lsp(buf, mark[1], mark[2])
        end
      end
      table.insert(documents, doc)
    end
  end
  -- The focused document last, as the daemon orders them.
  table.sort(documents, function(a, b)
    if a.focused ~= b.focused then
      return not a.focused
    end
    return a.uri < b.uri
  end)
  for _, doc in ipairs(documents) do
    if not doc.focused then
      doc.focused = nil
    end
  end

  return {
    documents = documents,
    terminals = terminals,
    layout = { format = LAYOUT_FORMAT, tabs = tabs, current_tab = current_tab },
  }
end

--- The buffer for `uri`, loaded.
local function buffer_for(uri)
  local path = vim.uri_to_fname(uri)
  local buf = vim.fn.bufadd(path)
  vim.bo[buf].buflisted = true
  if not vim.api.nvim_buf_is_loaded(buf) then
    vim.fn.bufload(buf)
  end
  return buf
end

local function set_cursor(win, buf, pos, topline)
  if not pos then
    return
  end
  local row, col = from_lsp(buf, pos)
  pcall(vim.api.nvim_win_set_cursor, win, { row, col })
  if topline then
    vim.api.nvim_win_call(win, function()
      vim.fn.winrestview({ topline = math.max(1, topline + 1) })
    end)
  end
end

--- A terminal with `cwd`: an existing terminal buffer in that directory, or a new one.
local function terminal_buffer(spec, used)
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if
      vim.api.nvim_buf_is_loaded(buf)
      and vim.bo[buf].buftype == 'terminal'
      and not used[buf]
      and terminal_cwd(buf) == spec.cwd
    then
      used[buf] = true
      return buf
    end
  end
  local buf = vim.api.nvim_create_buf(true, false)
  vim.api.nvim_buf_call(buf, function()
    local cwd = spec.cwd
    if not cwd or vim.fn.isdirectory(cwd) == 0 then
      cwd = vim.fn.getcwd()
    end
    vim.fn.termopen(vim.o.shell, { cwd = cwd })
  end)
  used[buf] = true
  return buf
end

--- Fills the current window with `node`, splitting it as the node says.
local function build(node, ctx)
  if node[1] == 'leaf' then
    local leaf, win = node[2], vim.api.nvim_get_current_win()
    if leaf.uri then
      local buf = buffer_for(leaf.uri)
      vim.api.nvim_win_set_buf(win, buf)
      set_cursor(win, buf, leaf.cursor, leaf.topline)
      ctx.shown[buf] = true
    elseif leaf.terminal and ctx.terminals[leaf.terminal + 1] then
      vim.api.nvim_win_set_buf(win, terminal_buffer(ctx.terminals[leaf.terminal + 1], ctx.used_terminals))
    end
    table.insert(ctx.sized, { win = win, width = leaf.width, height = leaf.height })
    if leaf.current then
      ctx.focus = win
    end
    return
  end
  local wins = { vim.api.nvim_get_current_win() }
  for i = 2, #node[2] do
    vim.api.nvim_set_current_win(wins[i - 1])
    vim.cmd(node[1] == 'row' and 'rightbelow vsplit' or 'rightbelow split')
    wins[i] = vim.api.nvim_get_current_win()
  end
  for i, child in ipairs(node[2]) do
    vim.api.nvim_set_current_win(wins[i])
    build(child, ctx)
  end
end

--- Unloads unmodified file buffers of the repository that the restored context does
--- not have; a buffer with changes is kept, always.
local function drop_others(root, keep)
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    local path = file_of(buf)
    if path and inside(path, root) and not keep[buf] and not vim.bo[buf].modified then
      pcall(vim.api.nvim_buf_delete, buf, {})
    end
  end
end

--- Restores `editor` (the state a switch returned) for the repository at `root`.
function M.restore(editor, root)
  editor = editor or {}
  local documents = editor.documents or {}
  local layout = editor.layout
  local hidden = vim.o.hidden
  vim.o.hidden = true
  local ok, err = pcall(function()
    local ctx = {
      shown = {},
      sized = {},
      terminals = editor.terminals or {},
      used_terminals = {},
    }
    local keep = {}
    -- Every document of the context is a listed buffer with its cursor, shown or not.
    for _, doc in ipairs(documents) do
      if doc.uri then
        keep[buffer_for(doc.uri)] = doc
      end
    end
    vim.cmd('silent! tabonly')
    vim.cmd('silent! only')
    if type(layout) == 'table' and layout.format == LAYOUT_FORMAT and #(layout.tabs or {}) > 0 then
      for i, tree in ipairs(layout.tabs) do
        if i > 1 then
          vim.cmd('tabnew')
        end
        build(tree, ctx)
        for _, s in ipairs(ctx.sized) do
          if vim.api.nvim_win_is_valid(s.win) then
            pcall(vim.api.nvim_win_set_width, s.win, s.width)
            pcall(vim.api.nvim_win_set_height, s.win, s.height)
          end
        end
        ctx.sized = {}
        if ctx.focus then
          vim.api.nvim_set_current_win(ctx.focus)
          ctx.tab_focus = ctx.tab_focus or {}
          ctx.tab_focus[i] = ctx.focus
          ctx.focus = nil
        end
      end
      local tabs = vim.api.nvim_list_tabpages()
      local want = tabs[(layout.current_tab or 0) + 1]
      if want then
        vim.api.nvim_set_current_tabpage(want)
      end
    else
      -- No Neovim layout (the context came from another editor): the documents in
      -- order in this window, the focused one (last) on top, like showDocument would.
      local last
      for _, doc in ipairs(documents) do
        if doc.uri then
          last = doc
        end
      end
      if last then
        local buf = buffer_for(last.uri)
        vim.api.nvim_win_set_buf(0, buf)
        local pos = last.cursor
        if last.selections and last.selections[1] then
          pos = last.selections[1].start
        end
        set_cursor(0, buf, pos)
        ctx.shown[buf] = true
      end
    end
    -- Cursors of documents not on screen: where the cursor goes when they are shown.
    for buf, doc in pairs(keep) do
      if not ctx.shown[buf] and doc.cursor then
        local row, col = from_lsp(buf, doc.cursor)
        pcall(vim.api.nvim_buf_set_mark, buf, '"', row, col, {})
      end
    end
    for buf in pairs(ctx.shown) do
      keep[buf] = true
    end
    drop_others(root, keep)
  end)
  vim.o.hidden = hidden
  if not ok then
    error(err, 0)
  end
end

--- Reloads every unmodified buffer whose file a switch changed on disk, and wipes the
--- unmodified ones whose file the switch removed.
function M.reload_from_disk(root)
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    local path = file_of(buf)
    if path and inside(path, root) and vim.api.nvim_buf_is_loaded(buf) and not vim.bo[buf].modified then
      if vim.loop.fs_stat(path) then
        vim.api.nvim_buf_call(buf, function()
          vim.cmd('silent! edit')
        end)
      else
        pcall(vim.api.nvim_buf_delete, buf, {})
      end
    end
  end
end

return M
