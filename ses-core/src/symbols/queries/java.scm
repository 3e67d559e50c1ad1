; Java. Annotations are inside each declaration's `modifiers`, so already in its range.

(class_declaration name: (identifier) @name) @symbol.class
(interface_declaration name: (identifier) @name) @symbol.interface
(annotation_type_declaration name: (identifier) @name) @symbol.interface
(enum_declaration name: (identifier) @name) @symbol.enum
(record_declaration name: (identifier) @name) @symbol.record
(method_declaration name: (identifier) @name) @symbol.method
(constructor_declaration name: (identifier) @name) @symbol.constructor
(compact_constructor_declaration name: (identifier) @name) @symbol.constructor

[(line_comment) (block_comment)] @attach
