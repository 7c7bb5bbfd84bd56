"""render_targets: which files each target gets, identity on every document, determinism,
StrictUndefined, escaping of hostile spec text, and a light import."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from assay.targets import TargetRenderError, render_targets
from assay.targets.environment import make_environment, render_template
from support import REPO_ROOT

TEMPLATES = REPO_ROOT / "src/assay/targets/templates"
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
HOSTILE = "He said \"stop\" and 'left'\n{{ plan.model }} {% if x %}{# c #}\n<script>alert(1)</script>: - # &a *a ${{inputs.x}} \\ \t é ✓"
CANARY_SPEC = REPO_ROOT / "models/consumer-credit-pd/model.yaml"
CANARY_CASE = "consumer-credit-pd"
TRAINING_FILES = {"sagemaker": {"sagemaker-pipeline.json"}, "azureml": {"azureml-job.yaml"}, "vertex": {"vertex-pipeline.json"}}


def parse(name: str, text: str) -> Any:
    return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)


def expected_files(plan: dict[str, Any]) -> set[str]:
    target = plan["deployment"]["target"]
    files = {"argo-workflow.yaml"} | TRAINING_FILES.get(target, set())
    for env in plan["deployment"]["environments"]:
        name, kind = env["name"], env["strategy"]["type"]
        files |= {
            "kserve": {f"kserve-{name}.yaml"},
            "seldon": {f"seldon-model-{name}.yaml"} | ({f"seldon-experiment-{name}.yaml"} if kind in ("canary", "shadow") else set()),
            "sagemaker": {f"sagemaker-endpoint-{name}.json"},
            "azureml": {f"azureml-endpoint-{name}.yaml", f"azureml-deployment-{name}.yaml"},
        }.get(target, set())
    return files


def test_files_per_target(rendered: tuple[Any, dict[str, str]]) -> None:
    plan, files = rendered
    assert set(files) == expected_files(plan.data)
    assert list(files) == sorted(files)
    for name, text in files.items():
        assert text.endswith("\n") and parse(name, text), name


def test_every_document_names_model_version_and_digest(
    rendered: tuple[Any, dict[str, str]], strings_of: Callable[[Any], list[str]]
) -> None:
    plan, files = rendered
    for name, text in files.items():
        strings = strings_of(parse(name, text))
        for value in (plan.data["model"], plan.data["version"], plan.digest):
            assert value in strings, f"{name} lacks {value}"


def test_kubernetes_labels_are_valid_and_carry_the_short_digest(rendered: tuple[Any, dict[str, str]]) -> None:
    plan, files = rendered
    for name, text in files.items():
        if name.endswith(".json") or name.startswith("azureml-"):
            continue
        metadata = yaml.safe_load(text)["metadata"]
        labels, annotations = metadata["labels"], metadata["annotations"]
        assert labels["assay.dev/model"] == plan.data["model"]
        assert labels["assay.dev/version"] == plan.data["version"]
        assert labels["assay.dev/plan-digest"] == plan.digest[:16]
        assert annotations["assay.dev/plan-digest"] == plan.digest
        assert all(len(value) <= 63 and LABEL_VALUE.match(value) for value in labels.values()), labels
        assert all(isinstance(value, str) for value in annotations.values())


def test_rendering_is_deterministic(rendered: tuple[Any, dict[str, str]]) -> None:
    plan, files = rendered
    assert render_targets(copy.deepcopy(dict(plan.data)), plan.digest) == files


def test_rendering_does_not_depend_on_hash_seed(render_spec: Callable[[str], tuple[Any, dict[str, str]]], tmp_path: Path) -> None:
    plan, files = render_spec(CANARY_CASE)
    (tmp_path / "plan.json").write_text(json.dumps(plan.data))
    script = (
        "import json, sys; from assay.targets import render_targets; "
        "print(json.dumps(render_targets(json.load(open(sys.argv[1])), sys.argv[2])))"
    )
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-c", script, str(tmp_path / "plan.json"), plan.digest]
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        assert json.loads(done.stdout) == files


def test_missing_plan_field_names_the_template(render_spec: Callable[[str], tuple[Any, dict[str, str]]]) -> None:
    plan, _ = render_spec(CANARY_CASE)
    broken = copy.deepcopy(dict(plan.data))
    del broken["version"]
    with pytest.raises(TargetRenderError) as raised:
        render_targets(broken, plan.digest)
    assert raised.value.template == "argo-workflow.yaml.j2"
    assert "version" in raised.value.message


def test_missing_environment_field_names_the_serving_template(render_spec: Callable[[str], tuple[Any, dict[str, str]]]) -> None:
    plan, _ = render_spec(CANARY_CASE)
    broken = copy.deepcopy(dict(plan.data))
    del broken["deployment"]["environments"][1]["resources"]
    with pytest.raises(TargetRenderError) as raised:
        render_targets(broken, plan.digest)
    assert raised.value.template == "kserve-inferenceservice.yaml.j2"
    assert "resources" in str(raised.value)


def test_undefined_name_in_a_template_raises_instead_of_rendering_empty() -> None:
    environment = make_environment(jinja2.DictLoader({"doc.yaml.j2": "kind: X\nname: {{ missing | tojson }}\n"}))
    with pytest.raises(TargetRenderError) as raised:
        render_template(environment, "doc.yaml.j2", {})
    assert raised.value.template == "doc.yaml.j2"
    assert "missing" in raised.value.message


def test_unescaped_output_is_refused() -> None:
    environment = make_environment(jinja2.DictLoader({"raw.yaml.j2": "name: {{ name }}\n"}))
    with pytest.raises(TargetRenderError, match="tojson or toyaml"):
        render_template(environment, "raw.yaml.j2", {"name": "x"})


def test_templates_print_only_through_escaping_filters() -> None:
    templates = sorted(TEMPLATES.glob("*.j2"))
    assert templates
    for template in templates:
        for expression in re.findall(r"{{(.*?)}}", template.read_text(), flags=re.DOTALL):
            assert re.search(r"\|\s*(tojson|toyaml)\b[^|]*$", expression), f"{template.name}: {{{{{expression}}}}}"


def test_sandbox_blocks_unsafe_attribute_access() -> None:
    environment = make_environment(jinja2.DictLoader({"evil.j2": "{{ plan.__class__.__mro__ | tojson }}\n"}))
    with pytest.raises(TargetRenderError):
        render_template(environment, "evil.j2", {"plan": {}})


def test_bad_digest_and_unknown_target_are_refused(render_spec: Callable[[str], tuple[Any, dict[str, str]]]) -> None:
    plan, _ = render_spec(CANARY_CASE)
    with pytest.raises(TargetRenderError, match="64 lowercase hex"):
        render_targets(plan.data, "not-a-digest")
    broken = copy.deepcopy(dict(plan.data))
    broken["deployment"]["target"] = "mainframe"
    with pytest.raises(TargetRenderError) as raised:
        render_targets(broken, plan.digest)
    assert raised.value.template == "plan"


@pytest.mark.parametrize("target", ["kserve", "seldon", "sagemaker", "azureml", "vertex", "local"])
def test_hostile_description_stays_one_verbatim_string(
    target: str, compile_plan_of: Callable[..., Any], strings_of: Callable[[Any], list[str]]
) -> None:
    spec = yaml.safe_load(CANARY_SPEC.read_text())
    spec["metadata"]["description"] = HOSTILE
    spec["deployment"]["target"] = target
    spec["deployment"]["environments"][0]["strategy"] = {"type": "shadow", "mirrorPercent": 25}
    plan = compile_plan_of(CANARY_SPEC, spec)
    files = render_targets(plan.data, plan.digest)
    assert len(files) > 1 or target == "local"
    for name, text in files.items():
        document = parse(name, text)
        assert isinstance(document, dict) and document, name
        if name != "sagemaker-pipeline.json":
            assert HOSTILE in strings_of(document), name


def test_import_does_not_load_the_data_stack() -> None:
    script = "import sys, assay.targets; print(sorted(m for m in ('sklearn', 'numpy', 'pandas', 'scipy') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_step_reading_outputs_it_does_not_depend_on_is_refused(render_spec: Callable[[str], tuple[Any, dict[str, str]]]) -> None:
    plan, _ = render_spec(CANARY_CASE)
    broken = copy.deepcopy(dict(plan.data))
    broken["training"]["steps"][1]["dependsOn"] = []
    with pytest.raises(TargetRenderError, match="without depending on them") as raised:
        render_targets(broken, plan.digest)
    assert raised.value.template == "argo-workflow.yaml.j2"
