-- The `ses` language server for vim.lsp.config / vim.lsp.enable('ses') (Neovim 0.11+):
-- every file buffer inside a git repository, code lenses refreshed, switch-aware
-- window/showDocument. Override fields with vim.lsp.config('ses', {cmd = {...}}).
return require('ses').lsp_config()
