"""What every stage uses: errors and locations (:mod:`.errors`), shape arithmetic
(:mod:`.shapes`), the base of the spec format's classes with its constrained types
(:mod:`.model`) and their validation by pydantic-core (:mod:`.validation`).

Nothing here imports another part of netspec.
"""
