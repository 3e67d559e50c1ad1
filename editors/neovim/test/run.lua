-- Drives the plugin inside a real, headless Neovim (0.7 to 0.12) for tests/e2e/test_neovim.py.
--
--   nvim --headless --clean -u NONE -c 'luafile editors/neovim/test/run.lua'
--
-- Environment: SES_TEST_PLUGIN (editors/neovim), SES_TEST_CMD (the server command, JSON),
-- SES_TEST_REPO (the fixture repository), SES_TEST_SCENARIO, SES_TEST_MODE ('enable':
-- lsp/ses.lua through vim.lsp.enable, 0.11+; 'setup': require('ses').setup()),
-- SES_TEST_OUT (where the JSON results go). The script observes and reports; the Python
-- side decides what is right.
local out_path = assert(os.getenv('SES_TEST_OUT'))
local results = { notifications = {} }

local function finish(code)
  local f = assert(io.open(out_path, 'w'))
  f:write(vim.json.encode(results))
  f:close()
  vim.cmd((code == 0 and 'qall!') or 'cquit! ' .. code)
end

local ok, err = xpcall(function()
  vim.opt.rtp:prepend(assert(os.getenv('SES_TEST_PLUGIN')))
  vim.o.swapfile = false
  vim.o.columns, vim.o.lines = 160, 50
  vim.cmd('runtime plugin/ses.lua')
  -- As in any configuration: vim.lsp.enable starts servers on the FileType event.
  vim.cmd('filetype on')
  local ses = require('ses')
  local compat = require('ses.compat')
  local state = require('ses.state')
  local repo = assert(os.getenv('SES_TEST_REPO'))
  local cmd = vim.json.decode(assert(os.getenv('SES_TEST_CMD')))
  local scenario = assert(os.getenv('SES_TEST_SCENARIO'))
  vim.cmd('cd ' .. vim.fn.fnameescape(repo))

  local original_notify = vim.notify
  vim.notify = function(msg, level, opts)
    table.insert(results.notifications, { msg = msg, level = level })
    -- Headless, an error message inside a command would abort the script: record only.
    if (level or 0) < vim.log.levels.ERROR then
      return original_notify(msg, level, opts)
    end
  end

  local function wait(ms, cond, what)
    if not vim.wait(ms, cond, 50) then
      error('timed out after ' .. ms .. ' ms waiting for ' .. what, 0)
    end
  end

  local function start()
    if os.getenv('SES_TEST_MODE') == 'enable' then
      vim.lsp.config('ses', { cmd = cmd })
      vim.lsp.enable('ses')
    else
      ses.setup({ cmd = cmd })
    end
  end

  local function client_of(buf)
    return compat.clients('ses', buf)[1]
  end

  local function open(path)
    vim.cmd('edit ' .. vim.fn.fnameescape(repo .. '/' .. path))
    local buf = vim.api.nvim_get_current_buf()
    wait(20000, function()
      local c = client_of(buf)
      return c ~= nil and c.initialized == true
    end, 'ses to attach to ' .. path)
    return buf
  end

  --- The lens texts Neovim drew, read back from the codelens namespaces' extmarks.
  local function lenses(buf)
    local found = {}
    for name, ns in pairs(vim.api.nvim_get_namespaces()) do
      if name:find('codelens') then
        for _, m in ipairs(vim.api.nvim_buf_get_extmarks(buf, ns, 0, -1, { details = true })) do
          local text = {}
          for _, chunk in ipairs(m[4].virt_text or {}) do
            table.insert(text, chunk[1])
          end
          for _, line in ipairs(m[4].virt_lines or {}) do
            for _, chunk in ipairs(line) do
              table.insert(text, chunk[1])
            end
          end
          local joined = vim.trim(table.concat(text))
          if joined ~= '' then
            table.insert(found, { line = m[2], text = joined })
          end
        end
      end
    end
    table.sort(found, function(a, b)
      return a.line < b.line
    end)
    return found
  end

  local function cursor_of(win)
    local c = vim.api.nvim_win_get_cursor(win)
    return { c[1] - 1, c[2] }
  end

  --- Windows of the current tab, in order: file (relative), cursor, current.
  local function windows()
    local list = {}
    for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
      local buf = vim.api.nvim_win_get_buf(win)
      table.insert(list, {
        file = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(buf), ':.'),
        cursor = cursor_of(win),
        current = win == vim.api.nvim_get_current_win(),
        buftype = vim.bo[buf].buftype,
      })
    end
    return list
  end

  local function listed_files()
    local files = {}
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      if vim.bo[buf].buflisted and vim.api.nvim_buf_get_name(buf) ~= '' and vim.bo[buf].buftype == '' then
        table.insert(files, vim.fn.fnamemodify(vim.api.nvim_buf_get_name(buf), ':.'))
      end
    end
    table.sort(files)
    return files
  end

  local function snapshot()
    return {
      windows = windows(),
      tabs = #vim.api.nvim_list_tabpages(),
      tab = vim.api.nvim_tabpage_get_number(0),
      buffers = listed_files(),
    }
  end

  if scenario == 'lenses' then
    start()
    local buf = open('calc.py')
    local want = tonumber(os.getenv('SES_TEST_LENSES') or '1')
    wait(30000, function()
      return #lenses(buf) >= want
    end, want .. ' code lenses in calc.py')
    results.lenses = lenses(buf)
    -- Hover on a line bob wrote, as the client asks for it.
    local client = client_of(buf)
    local hover, herr = compat.request_sync(client, 'textDocument/hover', {
      textDocument = { uri = vim.uri_from_bufnr(buf) },
      position = { line = tonumber(os.getenv('SES_TEST_HOVER_LINE') or '0'), character = 0 },
    }, 10000, buf)
    results.hover = hover or vim.NIL
    results.hover_error = herr and herr.message or vim.NIL
    -- An edit: the lenses come back for the new text (the plugin refreshes on InsertLeave).
    vim.api.nvim_buf_set_lines(buf, 0, 0, false, { '# a comment line' })
    vim.cmd('doautocmd InsertLeave')
    wait(30000, function()
      -- Extmarks move with the text by themselves; new lenses credit the new line.
      local l = lenses(buf)
      return #l >= want and l[1].line == 0 and l[1].text:find('carol') ~= nil
    end, 'fresh lenses after the edit')
    results.lenses_after_edit = lenses(buf)
    vim.cmd('silent! undo')
  elseif scenario == 'state' then
    -- Capture and restore in the plugin alone (no server): layout, cursors, terminals.
    vim.cmd('edit calc.py')
    vim.api.nvim_win_set_cursor(0, { 6, 4 })
    vim.cmd('vsplit other.py')
    vim.api.nvim_win_set_cursor(0, { 3, 2 })
    vim.cmd('split calc.py')
    vim.api.nvim_win_set_cursor(0, { 2, 1 })
    vim.cmd('tabnew third.py')
    vim.api.nvim_win_set_cursor(0, { 1, 3 })
    local term = vim.api.nvim_create_buf(true, false)
    vim.api.nvim_buf_call(term, function()
      vim.fn.termopen({ vim.o.shell }, { cwd = repo .. '/sub' })
    end)
    -- The shell has started once it stands in its folder (before that /proc shows ours).
    local pid = vim.fn.jobpid(vim.bo[term].channel)
    wait(5000, function()
      return vim.loop.fs_readlink('/proc/' .. pid .. '/cwd') == repo .. '/sub'
    end, 'the terminal shell to start')
    vim.cmd('tabprevious')
    results.before = snapshot()
    local captured = state.capture(repo)
    results.captured = captured
    -- Make a mess: another file, one window, one tab.
    vim.cmd('silent! tabonly | silent! only | edit fourth.py')
    state.restore(captured, repo)
    results.after = snapshot()
    vim.cmd('tabnext')
    results.after_tab2 = snapshot()
    vim.api.nvim_buf_delete(term, { force = true })
  elseif scenario == 'contexts' then
    start()
    local buf = open('calc.py')
    vim.api.nvim_win_set_cursor(0, { 6, 4 })
    vim.cmd('vsplit other.py')
    vim.api.nvim_win_set_cursor(0, { 3, 2 })
    results.before_one = snapshot()
    vim.cmd('Ses capture one')
    vim.cmd('silent! only')
    vim.cmd('edit third.py')
    vim.api.nvim_win_set_cursor(0, { 2, 1 })
    vim.cmd('Ses capture two')
    results.before_two = snapshot()
    results.names = ses.context_names() or vim.NIL
    vim.cmd('Ses switch one')
    results.after_one = snapshot()
    vim.cmd('Ses switch two')
    results.after_two = snapshot()
    local _ = buf
  elseif scenario == 'commands' then
    start()
    local buf = open('calc.py')
    wait(30000, function()
      return #lenses(buf) >= 4
    end, 'lenses in calc.py')
    local function scratch_text()
      local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
      vim.cmd('close')
      return text
    end
    vim.api.nvim_win_set_cursor(0, { 4, 0 })
    vim.cmd('Ses attribution')
    results.attribution = scratch_text()
    vim.cmd('Ses revenue record 10.00 USD')
    vim.cmd('Ses revenue split')
    results.split = scratch_text()
    -- The file lens shows the revenue once the lenses are asked for again.
    wait(30000, function()
      local l = lenses(buf)
      return l[1] ~= nil and l[1].text:find('$10.00', 1, true) ~= nil
    end, 'the file lens to show the recorded revenue')
    results.lenses = lenses(buf)
  elseif scenario == 'health' then
    start()
    open('calc.py')
    vim.cmd('checkhealth ses')
    results.health = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  else
    error('unknown scenario ' .. scenario, 0)
  end
end, debug.traceback)

if not ok then
  results.error = tostring(err)
  finish(3)
else
  finish(0)
end
