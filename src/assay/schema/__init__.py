"""Schema validation: a Document in, diagnostics out.

`build_schema_set` turns schema files into a checked, locally resolved SchemaSet;
`validate_document` collects every schema problem of one document.
"""

from assay.schema.registry import (
    SchemaSet,
    SchemaSetError,
    build_schema_set,
    bundled_schema_files,
    directory_schema_files,
)
from assay.schema.validate import validate_document

__all__ = [
    "SchemaSet",
    "SchemaSetError",
    "build_schema_set",
    "bundled_schema_files",
    "directory_schema_files",
    "validate_document",
]
