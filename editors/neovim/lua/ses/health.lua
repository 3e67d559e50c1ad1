-- :checkhealth ses — the binary, its version, the daemon and the repository.
local compat = require('ses.compat')

local M = {}

function M.check()
  local health = compat.health()
  local ses = require('ses')
  local cmd = ses.options.cmd
  if vim.lsp.config and vim.lsp.config.ses and vim.lsp.config.ses.cmd then
    cmd = vim.lsp.config.ses.cmd
  end

  health.start('ses: binary')
  if type(cmd) ~= 'table' or not cmd[1] then
    health.error('the server command is not a list: ' .. vim.inspect(cmd))
    return
  end
  local binary = vim.fn.exepath(cmd[1])
  if binary == '' then
    health.error(cmd[1] .. ' is not executable or not on PATH', {
      'Install it: cargo install --path ses-lsp (in the SES repository)',
      "Or point the plugin at it: require('ses').setup({cmd = {'/path/to/ses', 'lsp'}})",
    })
    return
  end
  health.ok('found ' .. binary)
  -- Everything between the binary and `lsp` (e.g. --home DIR) applies to the CLI too.
  local prefix = { binary }
  for i = 2, #cmd do
    if cmd[i] == 'lsp' then
      break
    end
    table.insert(prefix, cmd[i])
  end
  local version = vim.fn.system(vim.list_extend(vim.deepcopy(prefix), { '--version' }))
  if vim.v.shell_error == 0 then
    health.ok('version: ' .. vim.trim(version))
  else
    health.error('`ses --version` failed: ' .. vim.trim(version))
  end

  health.start('ses: daemon')
  local out = vim.fn.system(vim.list_extend(vim.deepcopy(prefix), { 'daemon', 'status', '--json' }))
  local ok, status = pcall(vim.json.decode, out)
  if ok and type(status) == 'table' and status.running then
    health.ok(string.format('running: pid %s, socket %s', tostring(status.pid), tostring(status.socket)))
  elseif ok and type(status) == 'table' then
    health.info('not running; the first client (this editor, or any ses command) starts it')
  else
    health.error('`ses daemon status --json` gave no status: ' .. vim.trim(out))
  end

  health.start('ses: repository')
  -- Newer versions run the checks in the report's own buffer: look at the one before it.
  local buf = vim.api.nvim_get_current_buf()
  if vim.bo[buf].buftype ~= '' or vim.api.nvim_buf_get_name(buf):match('^health://') then
    local alt = vim.fn.bufnr('#')
    buf = alt > 0 and alt or buf
  end
  local name = vim.api.nvim_buf_get_name(buf)
  local root = compat.git_root(name) or compat.git_root(vim.fn.getcwd())
  if not root then
    health.warn('not inside a git repository: SES attaches only to files in one')
    return
  end
  health.ok('repository: ' .. root)
  local attached = compat.clients(ses.name, buf)
  if #attached > 0 then
    health.ok('ses is attached to this buffer (client ' .. attached[1].id .. ')')
  else
    health.info("ses is not attached to this buffer: vim.lsp.enable('ses') or require('ses').setup()")
  end
end

return M
