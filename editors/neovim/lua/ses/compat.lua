-- Differences between Neovim 0.7 and today's Neovim, in one place, so the rest of the
-- plugin reads the same on every version it supports (0.7 to 0.12).
local M = {}

local function has(version)
  return vim.fn.has('nvim-' .. version) == 1
end
M.has = has

--- The LSP clients named `name` (all of them when bufnr is nil).
function M.clients(name, bufnr)
  local all
  if vim.lsp.get_clients then
    all = vim.lsp.get_clients({ name = name, bufnr = bufnr })
  elseif bufnr then
    all = vim.tbl_values(vim.lsp.buf_get_clients(bufnr))
  else
    all = vim.lsp.get_active_clients()
  end
  return vim.tbl_filter(function(c)
    return c.name == name
  end, all)
end

--- A blocking request: (result, err). Method calls became `client:` in 0.11.
function M.request_sync(client, method, params, timeout_ms, bufnr)
  local response, err
  if has('0.11') then
    response, err = client:request_sync(method, params, timeout_ms, bufnr)
  else
    response, err = client.request_sync(method, params, timeout_ms, bufnr)
  end
  if not response then
    return nil, { message = err or ('no answer to ' .. method .. ' within ' .. timeout_ms .. ' ms') }
  end
  if response.err then
    return nil, response.err
  end
  return response.result, nil
end

--- An asynchronous request; handler(err, result).
function M.request(client, method, params, handler, bufnr)
  if has('0.11') then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

function M.supports(client, method)
  if has('0.11') then
    return client:supports_method(method)
  end
  return client.supports_method(method)
end

--- The directory holding `.git` (a folder, or a file in worktrees and submodules) above
--- `path`, or nil. vim.fs.root arrived in 0.10.
function M.git_root(path)
  -- Buffers named like URIs (health://, term://, fugitive://) are not files.
  if path == nil or path == '' or path:match('^%a[%w+.-]*://') then
    return nil
  end
  local dir = vim.fn.fnamemodify(path, ':p')
  if dir:sub(1, 1) ~= '/' then
    return nil
  end
  if vim.fn.isdirectory(dir) == 0 then
    dir = vim.fn.fnamemodify(dir, ':h')
  end
  dir = dir:gsub('/$', '')
  while dir ~= '' do
    if vim.loop.fs_stat(dir .. '/.git') then
      return dir
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      break
    end
    dir = parent
  end
  if vim.loop.fs_stat('/.git') then
    return '/'
  end
  return nil
end

--- The UTF-16 column of byte column `col` of `line`.
function M.utf16_col(line, col)
  col = math.min(col, #line)
  if has('0.11') then
    return vim.str_utfindex(line, 'utf-16', col, false)
  end
  local _, utf16 = vim.str_utfindex(line, col)
  return utf16
end

--- The byte column of UTF-16 column `character` of `line` (clamped to the line).
function M.byte_col(line, character)
  local ok, col
  if has('0.11') then
    ok, col = pcall(vim.str_byteindex, line, 'utf-16', character, false)
  else
    ok, col = pcall(vim.str_byteindex, line, character, true)
  end
  if not ok or col == nil then
    return #line
  end
  return math.min(col, #line)
end

--- The health report functions: vim.health (0.10+) or the `health` module (0.7-0.9).
function M.health()
  if vim.health and vim.health.start then
    return vim.health
  end
  local h = require('health')
  return {
    start = h.report_start,
    ok = h.report_ok,
    info = h.report_info,
    warn = h.report_warn,
    error = h.report_error,
  }
end

return M
