"""The catalogue of built-in diagnostic codes: Y for loading, S for schema and spec consistency.

Policy findings use their rule's id (FL-01, ...) as their code. Codes are stable:
CI configurations and waivers refer to them.
"""

from __future__ import annotations

CODES: dict[str, tuple[str, str]] = {
    "Y001": ("file-too-large", "The file is larger than the loader's size limit."),
    "Y002": ("invalid-utf8", "The file is not valid UTF-8."),
    "Y003": ("yaml-syntax", "The file is not valid YAML."),
    "Y004": ("duplicate-key", "A mapping defines the same key twice."),
    "Y005": ("forbidden-tag", "A YAML tag outside the core schema (for example !!python/object)."),
    "Y006": ("alias-limit", "Too many alias expansions: the file may be a YAML bomb."),
    "Y007": ("depth-limit", "Nesting deeper than the loader's limit."),
    "Y008": ("multiple-documents", "More than one YAML document in a file."),
    "Y009": ("empty-file", "The file holds no document."),
    "Y010": ("outside-repository", "A symbolic link that leads outside the repository."),
    "Y011": ("complex-key", "A mapping key that is not a scalar."),
    "Y012": ("unreadable", "The file cannot be read."),
    "Y013": ("bad-scalar", "A scalar that cannot be read as its tagged type or as JSON."),
    "Y101": ("yaml11-boolean", "A word YAML 1.1 reads as a boolean (yes, no, on, off) used as a string."),
    "S001": ("wrong-type", "A value of the wrong type."),
    "S002": ("missing-property", "A required property is missing."),
    "S003": ("unknown-property", "A property the schema does not define."),
    "S004": ("not-allowed-value", "A value outside the allowed set."),
    "S005": ("bad-format", "A value that does not have the required form."),
    "S006": ("out-of-range", "A number, text or list outside its allowed size or range."),
    "S007": ("duplicate-items", "A list that must hold distinct items holds duplicates."),
    "S008": ("no-matching-form", "A value that matches none of the allowed forms."),
    "S009": ("schema-violation", "Another schema violation."),
    "S101": ("name-mismatch", "metadata.name differs from the model's folder."),
    "S102": ("duplicate-name", "Two features, attributes or environments share a name."),
    "S103": ("window-reversed", "A data window ends before it starts."),
    "S104": ("canary-not-increasing", "Canary traffic steps that do not increase."),
}


# Codes about policies, waivers, the trust root and deploy/, found outside the spec corpus.
OTHER_CODES: dict[str, tuple[str, str]] = {
    "P001": ("rule-does-not-compile", "A policy rule's CEL expression does not compile."),
    "P002": ("template-does-not-compile", "A policy rule's message or pointer template does not compile."),
    "P003": ("rule-failed", "A policy rule failed while evaluating a spec."),
    "P004": ("unknown-parameter", "assay.yaml overrides a parameter the rule does not have."),
    "P005": ("duplicate-rule", "Two policy rules share an id."),
    "W001": ("unused-waiver", "A waiver matches no finding of a checked model."),
    "K001": ("bad-trust-root", "keys/trust.yaml cannot be used."),
    "E001": ("unpromoted-manifest", "A file under deploy/ that no verified promotion rendered, or that changed since."),
}


def describe_code(code: str) -> tuple[str, str]:
    """Short name and description of a built-in code; generic text for unknown ones."""
    return CODES.get(code) or OTHER_CODES.get(code) or (code.lower(), f"assay finding {code}.")
