"""Reading a spec: its YAML loaded safely with the location of every value (:mod:`.source`),
the top level of the format (:mod:`.document`), pydantic's validation errors said in words
(:mod:`.messages`) and the JSON Schema editors read (:mod:`.json_schema`).
"""
