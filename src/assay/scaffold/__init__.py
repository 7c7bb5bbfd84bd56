"""What `assay init` writes: a model repository that passes `assay check` at once.

The files come from two places. `templates/` (beside this module) holds what only a
new repository needs: its assay.yaml, an empty trust root and waivers file with
instructions, a .gitignore and a README. Everything else is this project's own: the
default policy library (`policies/`), one example model with its data
(`models/marketing-propensity/`), the GitHub workflows and the CODEOWNERS example
(`.github/`). The wheel carries copies of those under `assay/scaffold/bundled/`
(pyproject.toml's force-include); a source checkout reads them where they are.

This module only reads: `scaffold_files` returns repository paths and bytes, and the
command line (assay.cli.init) decides what to write.
"""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

EXAMPLE_MODEL = "marketing-propensity"

# Where each bundled part lives in a source checkout (the wheel has them under bundled/).
_CHECKOUT = {
    "policies": "policies",
    f"models/{EXAMPLE_MODEL}": f"models/{EXAMPLE_MODEL}",
    "workflows": ".github/workflows",
    "CODEOWNERS": ".github/CODEOWNERS",
}

# Files that come from templates/ rather than from this project's own repository.
_TEMPLATES = {
    "assay.yaml": "assay.yaml",
    ".gitignore": "gitignore",
    "README.md": "README.md",
    "keys/trust.yaml": "keys/trust.yaml",
    "policies/waivers.yaml": "policies/waivers.yaml",
}

# This project's workflows install assay from their own checkout; a model repository
# installs the released package of the version that scaffolded it.
_SELF_INSTALL = re.compile(r"^(?P<lead>\s*(?:run:\s*)?)python -m pip install \.[ \t]*$", re.MULTILINE)


class ScaffoldError(Exception):
    """The installation lacks the files assay init copies (a broken wheel or checkout)."""


def _package() -> Traversable:
    return resources.files("assay") / "scaffold"


def _bundled(part: str) -> Traversable:
    """A bundled part: from the wheel when installed, else from the source checkout."""
    packaged = _package() / "bundled" / part
    if packaged.is_dir() or packaged.is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / _CHECKOUT[part]
    if not checkout.exists():
        raise ScaffoldError(f"assay's bundled {part} is missing from this installation (looked in the package and at {checkout})")
    return checkout


def model_repository_workflow(text: str, version: str) -> str:
    """A workflow of this project rewritten for a model repository: it installs assay==VERSION."""
    rewritten, count = _SELF_INSTALL.subn(lambda m: f'{m.group("lead")}python -m pip install "assay=={version}"', text)
    if count == 0 and "pip install" in text:
        raise ScaffoldError("a bundled workflow installs assay in a way assay init does not know how to pin")
    return rewritten


def _files_below(folder: Traversable, prefix: str) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            found.update(_files_below(entry, f"{prefix}{entry.name}/"))
        else:
            found[f"{prefix}{entry.name}"] = entry.read_bytes()
    return found


def scaffold_files(version: str) -> dict[str, bytes]:
    """Every file of a new model repository, by repository path, in path order."""
    files: dict[str, bytes] = {}
    templates = _package() / "templates"
    for target, name in _TEMPLATES.items():
        entry = templates.joinpath(*name.split("/"))
        if not entry.is_file():
            raise ScaffoldError(f"assay's template {name} is missing from this installation")
        files[target] = entry.read_bytes()
    for name, content in _files_below(_bundled("policies"), "policies/").items():
        if name.endswith((".yaml", ".yml")) and name != "policies/waivers.yaml":
            files[name] = content
    model = _bundled(f"models/{EXAMPLE_MODEL}")
    files[f"models/{EXAMPLE_MODEL}/model.yaml"] = (model / "model.yaml").read_bytes()
    files.update(_files_below(model / "data", f"models/{EXAMPLE_MODEL}/data/"))
    for name, content in _files_below(_bundled("workflows"), ".github/workflows/").items():
        if name.endswith((".yml", ".yaml")):
            files[name] = model_repository_workflow(content.decode("utf-8"), version).encode("utf-8")
    files[".github/CODEOWNERS"] = _bundled("CODEOWNERS").read_bytes()
    return dict(sorted(files.items()))
