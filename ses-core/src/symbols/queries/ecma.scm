; JavaScript, TypeScript and TSX: only node types that all three grammars share.

(function_declaration name: (_) @name) @symbol.function
(generator_function_declaration name: (_) @name) @symbol.function
(class_declaration name: (_) @name) @symbol.class

(method_definition
  name: (_) @name
  (#not-eq? @name "constructor")) @symbol.method
(method_definition
  name: (property_identifier) @name
  (#eq? @name "constructor")) @symbol.constructor

; Functions and classes bound to a variable are named by the variable.
(variable_declarator
  name: (identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @symbol.function
(variable_declarator name: (identifier) @name value: (class)) @symbol.class

; CommonJS and prototype assignments: `exports.run = () => {}`, `A.prototype.m = function () {}`.
(assignment_expression
  left: (member_expression property: (property_identifier) @name)
  right: [(arrow_function) (function_expression) (generator_function)]) @symbol.function

; Anonymous default exports are named `default`, as the module system names them.
(export_statement
  "default" @name
  value: [(arrow_function) (function_expression) (generator_function)]) @symbol.function
(export_statement "default" @name value: (class)) @symbol.class

; `export` and decorators before it belong to the declaration; a declaration with a single
; declarator owns its `const`/`let`/`var` line.
(export_statement declaration: (_) @wrapped) @wrapper
(lexical_declaration . (variable_declarator) @wrapped .) @wrapper
(variable_declaration . (variable_declarator) @wrapped .) @wrapper
(expression_statement (assignment_expression) @wrapped) @wrapper

(comment) @attach
