; Python. `async def` is a function_definition with an `async` token; a function directly
; in a class body becomes a method when containers are resolved.

(class_definition name: (identifier) @name) @symbol.class
(function_definition name: (identifier) @name) @symbol.function

; Decorators are part of the definition's range.
(decorated_definition definition: (_) @wrapped) @wrapper

(comment) @attach
