"""Loading: repository files in, parsed documents with source maps out.

`read_worktree_file` gives a SourceFile (path and bytes) or refuses it;
`parse_document` turns a SourceFile into a Document (JSON-shaped data plus a map
from every JSON pointer to its line and column) or a diagnostic saying why not.
"""

from assay.load.source import DEFAULT_LIMITS, Limits, SourceError, SourceFile, read_worktree_file
from assay.load.sourcemap import SourceMap, join_pointer, pointer_from_path
from assay.load.yaml_document import Document, parse_document

__all__ = [
    "DEFAULT_LIMITS",
    "Document",
    "Limits",
    "SourceError",
    "SourceFile",
    "SourceMap",
    "join_pointer",
    "parse_document",
    "pointer_from_path",
    "read_worktree_file",
]
