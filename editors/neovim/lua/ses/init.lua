-- SES for Neovim: `ses lsp` on every file inside a git repository, its code lenses kept
-- fresh, and the `:Ses` command (contexts, attribution, revenue).
--
-- Neovim 0.11+: `vim.lsp.enable('ses')` uses `lsp/ses.lua`, which takes its settings from
-- M.lsp_config(). Neovim 0.7 to 0.10: `require('ses').setup()` starts one client per
-- repository and attaches every file buffer inside it. On any version, setup() does
-- what the version needs, so it is the one call a configuration has to make.
local compat = require('ses.compat')
local state = require('ses.state')

local M = {}

M.name = 'ses'

local defaults = {
  -- The server command; `ses` on PATH.
  cmd = { 'ses', 'lsp' },
  -- Show code lenses and keep them fresh.
  codelens = true,
  -- Milliseconds a context command may take before it is reported as timed out.
  timeout = 30000,
}

M.options = vim.deepcopy(defaults)

-- A switch in flight: the window/showDocument requests that arrive before its result.
local pending_switch = nil

local function notify(msg, level)
  vim.notify('SES: ' .. msg, level or vim.log.levels.INFO)
end

--- Lens refresh for one buffer, on every version: 0.12+ has codelens.enable, older ones
--- need the request made (codelens.refresh only covers the current buffer before 0.10).
local function refresh_lenses(bufnr, client)
  if not M.options.codelens or not vim.api.nvim_buf_is_loaded(bufnr) then
    return
  end
  if not compat.supports(client, 'textDocument/codeLens') then
    return
  end
  local params = { textDocument = vim.lsp.util.make_text_document_params(bufnr) }
  compat.request(client, 'textDocument/codeLens', params, function(err, result, ctx)
    -- ctx.bufnr is missing in some versions' handler context; the lenses are for bufnr.
    ctx = vim.tbl_extend('force', ctx or {}, { bufnr = bufnr, client_id = client.id })
    if err then
      -- ContentModified: the text moved on; the next event asks again.
      return
    end
    -- A switch may have wiped the buffer while the lenses were on their way.
    if not (vim.api.nvim_buf_is_valid(bufnr) and vim.api.nvim_buf_is_loaded(bufnr)) then
      return
    end
    vim.lsp.codelens.on_codelens(nil, result, ctx)
  end, bufnr)
end

local function attached_buffers(client)
  local bufs = {}
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) then
      for _, c in ipairs(compat.clients(M.name, buf)) do
        if c.id == client.id then
          table.insert(bufs, buf)
        end
      end
    end
  end
  return bufs
end

local function on_attach(client, bufnr)
  if not M.options.codelens then
    return
  end
  local group = vim.api.nvim_create_augroup('ses_codelens_' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd({ 'BufEnter', 'InsertLeave', 'BufWritePost', 'CursorHold' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      refresh_lenses(bufnr, client)
    end,
  })
  refresh_lenses(bufnr, client)
end

--- Handlers this client needs whatever the Neovim version.
local function handlers()
  return {
    -- The server asks for fresh lenses after a commit or a repository change.
    ['workspace/codeLens/refresh'] = function(_, _, ctx)
      local client = vim.lsp.get_client_by_id(ctx.client_id)
      if client then
        vim.schedule(function()
          for _, buf in ipairs(attached_buffers(client)) do
            refresh_lenses(buf, client)
          end
        end)
      end
      return vim.NIL
    end,
    -- During `:Ses switch` the documents are collected and the switch's result restores
    -- them with the layout, so no window is opened twice; otherwise open the document.
    ['window/showDocument'] = function(_, params, _)
      if params.external then
        return { success = false }
      end
      if pending_switch then
        table.insert(pending_switch, params)
        return { success = true }
      end
      local ok = pcall(function()
        local path = vim.uri_to_fname(params.uri)
        if params.takeFocus ~= false then
          vim.cmd('edit ' .. vim.fn.fnameescape(path))
          if params.selection then
            local buf = vim.api.nvim_get_current_buf()
            local line = vim.api.nvim_buf_get_lines(buf, params.selection.start.line, params.selection.start.line + 1, false)[1]
              or ''
            vim.api.nvim_win_set_cursor(0, {
              params.selection.start.line + 1,
              compat.byte_col(line, params.selection.start.character),
            })
          end
        else
          vim.fn.bufload(vim.fn.bufadd(path))
        end
      end)
      return { success = ok }
    end,
  }
end

local function capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  caps.workspace = caps.workspace or {}
  caps.workspace.codeLens = { refreshSupport = true }
  caps.window = caps.window or {}
  caps.window.showDocument = { support = true }
  return caps
end

--- The client configuration (shared by lsp/ses.lua and setup()).
function M.lsp_config(opts)
  opts = vim.tbl_deep_extend('force', M.options, opts or {})
  return {
    name = M.name,
    cmd = opts.cmd,
    capabilities = capabilities(),
    handlers = handlers(),
    on_attach = on_attach,
    -- Every buffer of a file inside a git repository: no filetypes list, and no root
    -- (so no client) outside a repository.
    root_dir = function(bufnr, on_dir)
      local root = compat.git_root(vim.api.nvim_buf_get_name(bufnr))
      if root then
        on_dir(root)
      end
    end,
  }
end

-- One client per repository on 0.7-0.10 (vim.lsp.start arrived in 0.8, so start_client).
local clients_by_root = {}

local function attach_legacy(bufnr)
  if vim.bo[bufnr].buftype ~= '' then
    return
  end
  local root = compat.git_root(vim.api.nvim_buf_get_name(bufnr))
  if not root then
    return
  end
  local id = clients_by_root[root]
  if not id or not vim.lsp.get_client_by_id(id) then
    local config = M.lsp_config()
    config.root_dir = root
    config.workspace_folders = { { uri = vim.uri_from_fname(root), name = root } }
    id = vim.lsp.start_client(config)
    if not id then
      notify('could not start ' .. table.concat(config.cmd, ' '), vim.log.levels.ERROR)
      return
    end
    clients_by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

local commands_defined = false

--- Configures and starts SES for every file buffer inside a git repository.
function M.setup(opts)
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts or {})
  if not commands_defined then
    M.define_commands()
  end
  if vim.lsp.config and vim.lsp.enable then
    vim.lsp.config(M.name, M.lsp_config())
    vim.lsp.enable(M.name)
    return
  end
  local group = vim.api.nvim_create_augroup('ses_attach', { clear = true })
  vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile', 'FileType' }, {
    group = group,
    callback = function(args)
      attach_legacy(args.buf)
    end,
  })
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) then
      attach_legacy(buf)
    end
  end
end

--- The SES client for the current buffer, or the one whose repository holds the cwd.
local function client_here()
  local buf = vim.api.nvim_get_current_buf()
  local here = compat.clients(M.name, buf)[1]
  if here then
    return here, buf
  end
  local cwd_root = compat.git_root(vim.fn.getcwd())
  for _, c in ipairs(compat.clients(M.name)) do
    if c.config.root_dir == cwd_root or not cwd_root then
      return c, nil
    end
  end
  return nil, nil
end

local function root_of(client, buf)
  if buf then
    local root = compat.git_root(vim.api.nvim_buf_get_name(buf))
    if root then
      return root
    end
  end
  return client.config.root_dir
end

--- Runs a workspace command synchronously: (result, err message).
function M.execute(command, args, timeout)
  local client, buf = client_here()
  if not client then
    return nil, 'not attached here: open a file inside a git repository (:checkhealth ses)'
  end
  args = args or {}
  args.root = args.root or root_of(client, buf)
  local result, err = compat.request_sync(
    client,
    'workspace/executeCommand',
    { command = command, arguments = { args } },
    timeout or M.options.timeout,
    buf
  )
  if err then
    return nil, command .. ': ' .. (err.message or vim.inspect(err))
  end
  return result, nil
end

--- Plain text of any JSON value: keys sorted, nested values indented.
local function render(value, indent, out)
  indent, out = indent or '', out or {}
  if type(value) ~= 'table' then
    table.insert(out, indent .. tostring(value))
    return out
  end
  if (vim.islist or vim.tbl_islist)(value) then
    for _, v in ipairs(value) do
      if type(v) == 'table' then
        table.insert(out, indent .. '-')
        render(v, indent .. '  ', out)
      else
        table.insert(out, indent .. '- ' .. tostring(v))
      end
    end
    return out
  end
  local keys = vim.tbl_keys(value)
  table.sort(keys, function(a, b)
    return tostring(a) < tostring(b)
  end)
  for _, k in ipairs(keys) do
    local v = value[k]
    if type(v) == 'table' then
      table.insert(out, indent .. tostring(k) .. ':')
      render(v, indent .. '  ', out)
    elseif v ~= vim.NIL then
      table.insert(out, indent .. tostring(k) .. ': ' .. tostring(v))
    end
  end
  return out
end
M.render = render

--- Shows lines in a scratch window (a split: it works the same in every version).
local function show(title, lines)
  vim.cmd('botright new')
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'wipe'
  vim.bo[buf].swapfile = false
  pcall(vim.api.nvim_buf_set_name, buf, 'ses://' .. title)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.api.nvim_win_set_height(0, math.min(#lines + 1, 20))
end
M.show = show

local function names_of(result)
  local list = result
  if type(result) == 'table' and result.contexts then
    list = result.contexts
  end
  local names, current = {}, nil
  if type(list) ~= 'table' then
    return names, current
  end
  for _, c in ipairs(list) do
    if type(c) == 'string' then
      table.insert(names, c)
    elseif type(c) == 'table' and c.name then
      table.insert(names, c.name)
      if c.current then
        current = c.name
      end
    end
  end
  if type(result) == 'table' and type(result.current) == 'string' then
    current = result.current
  end
  return names, current
end

--- The names of the repository's contexts (for completion and the picker).
function M.context_names()
  local result = M.execute('ses.contexts', {}, 5000)
  return (names_of(result))
end

local function modified_buffers(root)
  local out = {}
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    local name = vim.api.nvim_buf_get_name(buf)
    if vim.bo[buf].modified and vim.bo[buf].buftype == '' and name ~= '' then
      local path = vim.fn.fnamemodify(name, ':p')
      if root and path:sub(1, #root + 1) == root .. '/' then
        table.insert(out, vim.fn.fnamemodify(path, ':.'))
      end
    end
  end
  return out
end

--- `:Ses capture [name]`: saves the work and the editor's state under a name.
function M.capture(name)
  local client, buf = client_here()
  if not client then
    return notify('not attached here: open a file inside a git repository', vim.log.levels.ERROR)
  end
  local root = root_of(client, buf)
  local unsaved = modified_buffers(root)
  if #unsaved > 0 then
    notify('unsaved changes are not captured (only files on disk are): ' .. table.concat(unsaved, ', '), vim.log.levels.WARN)
  end
  local args = { root = root, editor = state.capture(root) }
  if name and name ~= '' then
    args.name = name
  end
  local result, err = M.execute('ses.capture', args)
  if err then
    return notify(err, vim.log.levels.ERROR)
  end
  local shown = (type(result) == 'table' and (result.name or (result.context and result.context.name))) or name or ''
  notify('captured ' .. shown)
  return result
end

--- `:Ses switch name`: saves the current context and restores `name`.
function M.switch(name)
  if not name or name == '' then
    return M.pick()
  end
  local client, buf = client_here()
  if not client then
    return notify('not attached here: open a file inside a git repository', vim.log.levels.ERROR)
  end
  local root = root_of(client, buf)
  local unsaved = modified_buffers(root)
  if #unsaved > 0 then
    -- The switch rewrites files on disk; a buffer with changes would then differ from
    -- its file in ways the user did not make.
    return notify(
      'save or discard the changes first (:wall), a switch rewrites files on disk: ' .. table.concat(unsaved, ', '),
      vim.log.levels.ERROR
    )
  end
  pending_switch = {}
  local result, err = M.execute('ses.switch', { root = root, name = name, editor = state.capture(root) })
  local shown = pending_switch
  pending_switch = nil
  if err then
    return notify(err, vim.log.levels.ERROR)
  end
  local editor = type(result) == 'table' and result.editor or nil
  if type(editor) ~= 'table' then
    -- Only what the server showed: rebuild the document list from its requests.
    editor = { documents = {} }
    for _, p in ipairs(shown) do
      table.insert(editor.documents, { uri = p.uri, cursor = p.selection and p.selection.start })
    end
  end
  state.reload_from_disk(root)
  state.restore(editor, root)
  notify('switched to ' .. name)
  return result
end

--- A vim.ui.select picker of the repository's contexts.
function M.pick()
  local result, err = M.execute('ses.contexts', {}, 5000)
  if err then
    return notify(err, vim.log.levels.ERROR)
  end
  local names, current = names_of(result)
  if #names == 0 then
    return notify('no contexts yet: :Ses capture NAME saves one')
  end
  vim.ui.select(names, {
    prompt = 'Switch to context',
    format_item = function(n)
      return n == current and (n .. ' (current)') or n
    end,
  }, function(choice)
    if choice then
      M.switch(choice)
    end
  end)
end

function M.list()
  local result, err = M.execute('ses.contexts', {}, 5000)
  if err then
    return notify(err, vim.log.levels.ERROR)
  end
  local lines = render(result)
  show('contexts', #lines > 0 and lines or { '(no contexts)' })
  return result
end

function M.recover()
  local result, err = M.execute('ses.recover', {})
  if err then
    return notify(err, vim.log.levels.ERROR)
  end
  local client, buf = client_here()
  if client then
    -- Recovery puts files back on disk.
    state.reload_from_disk(root_of(client, buf))
  end
  show('recover', render(result))
  return result
end

--- `:Ses attribution`: the full split of the symbol (or file) under the cursor.
function M.attribution()
  local buf = vim.api.nvim_get_current_buf()
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  local result, err = M.execute('ses.showAttribution', { uri = vim.uri_from_bufnr(buf), line = row })
  if err then
    return notify(err, vim.log.levels.ERROR)
  end
  show('attribution', render(result))
  return result
end

--- `:Ses revenue record AMOUNT [CURRENCY] [TARGET]` and `:Ses revenue split [CURRENCY]`.
function M.revenue(sub, rest)
  local client, buf = client_here()
  if not client then
    return notify('not attached here: open a file inside a git repository', vim.log.levels.ERROR)
  end
  local root = root_of(client, buf)
  if sub == 'split' then
    local result, err = M.execute('ses.revenue.split', { root = root, currency = rest[1] })
    if err then
      return notify(err, vim.log.levels.ERROR)
    end
    show('revenue-split', render(result))
    return result
  elseif sub == 'record' then
    local amount, currency, target = rest[1], rest[2], rest[3]
    if not target and buf then
      local path = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(buf), ':p')
      if path:sub(1, #root + 1) == root .. '/' then
        target = path:sub(#root + 2)
      end
    end
    local function record(value)
      if not value or value == '' then
        return
      end
      if not target then
        return notify('name what earned it: :Ses revenue record AMOUNT CURRENCY PATH[::SYMBOL]', vim.log.levels.ERROR)
      end
      local result, err = M.execute('ses.revenue.record', {
        root = root,
        target = target,
        amount = value,
        currency = currency or 'USD',
      })
      if err then
        return notify(err, vim.log.levels.ERROR)
      end
      notify('recorded ' .. value .. ' ' .. (currency or 'USD') .. ' for ' .. target)
      if buf then
        refresh_lenses(buf, client)
      end
      return result
    end
    if amount then
      return record(amount)
    end
    vim.ui.input({ prompt = 'Revenue for ' .. (target or '?') .. ' (amount): ' }, record)
  else
    notify('usage: :Ses revenue record AMOUNT [CURRENCY] [TARGET] | :Ses revenue split [CURRENCY]', vim.log.levels.ERROR)
  end
end

local subcommands = {
  capture = function(args)
    M.capture(args[1])
  end,
  switch = function(args)
    M.switch(args[1])
  end,
  list = function()
    M.list()
  end,
  attribution = function()
    M.attribution()
  end,
  revenue = function(args)
    M.revenue(args[1], vim.list_slice(args, 2))
  end,
  recover = function()
    M.recover()
  end,
}

local function complete(arglead, cmdline)
  local words = vim.split(cmdline, '%s+', { trimempty = false })
  local matching = function(list)
    return vim.tbl_filter(function(s)
      return s:sub(1, #arglead) == arglead
    end, list)
  end
  if #words <= 2 then
    local names = vim.tbl_keys(subcommands)
    table.sort(names)
    return matching(names)
  end
  if #words == 3 and words[2] == 'switch' then
    return matching(M.context_names() or {})
  end
  if #words == 3 and words[2] == 'revenue' then
    return matching({ 'record', 'split' })
  end
  return {}
end

--- `:Ses` and the <Plug> mappings. Idempotent.
function M.define_commands()
  commands_defined = true
  vim.api.nvim_create_user_command('Ses', function(opts)
    local args = vim.split(vim.trim(opts.args), '%s+', { trimempty = true })
    local sub = table.remove(args, 1)
    local run = sub and subcommands[sub]
    if not run then
      return notify(
        'usage: :Ses capture [NAME] | switch [NAME] | list | attribution | revenue record|split | recover',
        vim.log.levels.ERROR
      )
    end
    run(args)
  end, { nargs = '*', complete = complete, desc = 'SES: contexts, attribution, revenue' })

  local plugs = {
    ['<Plug>(ses-capture)'] = function()
      vim.ui.input({ prompt = 'Capture context as: ' }, function(name)
        if name then
          M.capture(name)
        end
      end)
    end,
    ['<Plug>(ses-switch)'] = M.pick,
    ['<Plug>(ses-list)'] = M.list,
    ['<Plug>(ses-attribution)'] = M.attribution,
    ['<Plug>(ses-hover)'] = function()
      vim.lsp.buf.hover()
    end,
    ['<Plug>(ses-codelens-run)'] = function()
      vim.lsp.codelens.run()
    end,
    ['<Plug>(ses-recover)'] = M.recover,
  }
  for lhs, fn in pairs(plugs) do
    vim.keymap.set('n', lhs, fn, { silent = true, desc = 'SES ' .. lhs:match('%((.-)%)') })
  end
end

M._refresh_lenses = refresh_lenses

return M
