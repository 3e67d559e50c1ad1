; C++. Only definitions: declarations inside a class body are not symbols; their
; out-of-class definitions (`void Foo::bar() {}`) are, with the qualifier as container.
; The function name sits under zero, one or two pointer declarators or a reference one.

(function_definition
  declarator: (function_declarator
    declarator: [(identifier) (field_identifier) (destructor_name) (operator_name)] @name)) @symbol.function
(function_definition
  declarator: (function_declarator
    declarator: (qualified_identifier) @name.qualified)) @symbol.function

(function_definition
  declarator: (pointer_declarator
    declarator: (function_declarator
      declarator: [(identifier) (field_identifier) (destructor_name) (operator_name)] @name))) @symbol.function
(function_definition
  declarator: (pointer_declarator
    declarator: (function_declarator
      declarator: (qualified_identifier) @name.qualified))) @symbol.function

(function_definition
  declarator: (pointer_declarator
    declarator: (pointer_declarator
      declarator: (function_declarator
        declarator: [(identifier) (field_identifier) (destructor_name) (operator_name)] @name)))) @symbol.function
(function_definition
  declarator: (pointer_declarator
    declarator: (pointer_declarator
      declarator: (function_declarator
        declarator: (qualified_identifier) @name.qualified)))) @symbol.function

(function_definition
  declarator: (reference_declarator
    (function_declarator
      declarator: [(identifier) (field_identifier) (destructor_name) (operator_name)] @name))) @symbol.function
(function_definition
  declarator: (reference_declarator
    (function_declarator
      declarator: (qualified_identifier) @name.qualified))) @symbol.function

(class_specifier name: (_) @name body: (_)) @symbol.class
(struct_specifier name: (_) @name body: (_)) @symbol.struct
(union_specifier name: (_) @name body: (_)) @symbol.union
(enum_specifier name: (_) @name body: (_)) @symbol.enum

(type_definition
  type: (struct_specifier !name body: (_))
  declarator: (type_identifier) @name) @symbol.struct
(type_definition
  type: [(class_specifier) (struct_specifier) (union_specifier) (enum_specifier)] @wrapped) @wrapper

; Anonymous namespaces have no name and are not symbols; what they contain still is.
(namespace_definition name: (_) @name) @symbol.namespace

; `template <...>` belongs to what it templates.
(template_declaration
  [(function_definition) (class_specifier) (struct_specifier) (union_specifier)] @wrapped) @wrapper

(comment) @attach
