"""Small policy bundles and specs for engine tests, written as YAML text."""

from __future__ import annotations

from support import REPO_ROOT

EXAMPLE = (REPO_ROOT / "models" / "consumer-credit-pd" / "model.yaml").read_text()

MAX_TIER_BUNDLE = """\
apiVersion: assay/v1
kind: PolicyBundle
metadata:
  name: test-bundle
  description: Rules for engine tests.
rules:
  - id: TST-01
    title: Features are few
    description: No more than a bank-tunable number of features.
    severity: deny
    references: ["test"]
    parameters:
      maxFeatures: {default: 20, description: Most features allowed.}
    condition: size(spec.data.features) <= params.maxFeatures
    message: "{{ spec.data.features | length }} features, over the limit of {{ params.maxFeatures }}"
    pointer: /data/features
    fix: drop features
    tests:
      - {name: few, spec: {data: {features: [{name: a}]}}, expect: pass}
      - {name: many, spec: {data: {features: [{name: a}, {name: b}]}}, params: {maxFeatures: 1}, expect: fail}
  - id: TST-02
    title: No feature named secret
    description: Flags each feature called secret.
    severity: warn
    severityIn: {US-NY: deny}
    references: ["test"]
    forEach: spec.data.features
    condition: item.name != 'secret'
    message: "feature '{{ item.name }}' is secret"
    pointer: /data/features/{{ index }}/name
    tests:
      - {name: clean, spec: {data: {features: [{name: a}]}}, expect: pass}
      - {name: secret, spec: {data: {features: [{name: secret}]}}, expect: fail, pointers: [/data/features/0/name]}
"""


def credit_spec(name: str = "consumer-credit-pd", *, features: int | None = None, secret: bool = False) -> str:
    text = EXAMPLE.replace("name: consumer-credit-pd", f"name: {name}")
    if secret:
        text = text.replace("    - name: loan_purpose\n", "    - name: secret\n", 1)
    return text
