; JavaScript only (appended to ecma.scm).

; Class fields holding functions are methods in all but syntax: `onClick = () => {}`.
(field_definition
  property: (_) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @symbol.method
