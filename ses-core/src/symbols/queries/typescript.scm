; TypeScript and TSX only (appended to ecma.scm).

(public_field_definition
  name: (_) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @symbol.method

(abstract_class_declaration name: (_) @name) @symbol.class
(abstract_method_signature name: (_) @name) @symbol.method
(interface_declaration name: (_) @name) @symbol.interface
(interface_body (method_signature name: (_) @name) @symbol.method)
(enum_declaration name: (_) @name) @symbol.enum

; `namespace A.B {}` is an internal_module; `module "x" {}` / `declare module "x" {}` a module.
(internal_module name: (_) @name) @symbol.namespace
(module name: (_) @name) @symbol.module
