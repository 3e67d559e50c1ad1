; Go. A method's container is its receiver's type, wherever the method is written.

(function_declaration name: (identifier) @name) @symbol.function

(method_declaration
  receiver: (parameter_list
    (parameter_declaration
      type: [
        (type_identifier) @container
        (pointer_type (type_identifier) @container)
        (generic_type type: (type_identifier) @container)
        (pointer_type (generic_type type: (type_identifier) @container))
      ]))
  name: (field_identifier) @name) @symbol.method
; Any other receiver shape still yields the method, without a container.
(method_declaration name: (field_identifier) @name) @symbol.method

(type_spec name: (type_identifier) @name type: (struct_type)) @symbol.struct
(type_spec name: (type_identifier) @name type: (interface_type)) @symbol.interface
(interface_type (method_elem name: (field_identifier) @name) @symbol.method)

; `type Foo struct {...}` owns its `type` keyword; in a group `type ( A ...; B ... )` each
; spec is its own symbol.
(type_declaration . (type_spec) @wrapped .) @wrapper

(comment) @attach
