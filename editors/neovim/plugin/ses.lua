-- Defines :Ses and the <Plug>(ses-…) mappings; starts nothing. Start SES with
-- vim.lsp.enable('ses') (Neovim 0.11+) or require('ses').setup() (any version).
if vim.g.loaded_ses or vim.fn.has('nvim-0.7') == 0 then
  return
end
vim.g.loaded_ses = true
require('ses').define_commands()
