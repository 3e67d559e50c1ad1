; C. Only definitions: prototypes and forward declarations are not symbols. The function
; name sits under zero, one or two pointer declarators (`char **f(void)`).

(function_definition
  declarator: (function_declarator declarator: (identifier) @name)) @symbol.function
(function_definition
  declarator: (pointer_declarator
    declarator: (function_declarator declarator: (identifier) @name))) @symbol.function
(function_definition
  declarator: (pointer_declarator
    declarator: (pointer_declarator
      declarator: (function_declarator declarator: (identifier) @name)))) @symbol.function

; Only specifiers with a body define a type; `struct s x;` merely uses one.
(struct_specifier name: (_) @name body: (_)) @symbol.struct
(union_specifier name: (_) @name body: (_)) @symbol.union
(enum_specifier name: (_) @name body: (_)) @symbol.enum

; `typedef struct { ... } point;` is named by its typedef.
(type_definition
  type: (struct_specifier !name body: (_))
  declarator: (type_identifier) @name) @symbol.struct
(type_definition
  type: (union_specifier !name body: (_))
  declarator: (type_identifier) @name) @symbol.union
(type_definition
  type: (enum_specifier !name body: (_))
  declarator: (type_identifier) @name) @symbol.enum
(type_definition
  type: [(struct_specifier) (union_specifier) (enum_specifier)] @wrapped) @wrapper

(comment) @attach
