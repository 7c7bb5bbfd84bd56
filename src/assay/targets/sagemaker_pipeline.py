"""SageMaker Pipelines: the training plan as a pipeline definition (Version 2020-12-01).

Every plan step becomes a Processing step that runs the step's command in the assay
image; SageMaker fixes container paths under /opt/ml/processing, so only the
command's `--in`/`--out` folders move there. Each output is uploaded to
`s3://assay-artifacts/<model>/<version>/<digest16>/<step>/<name>`, and a later
step reads it through the producer's `S3Output.S3Uri` property. `DependsOn` is
the plan's `dependsOn`. SageMaker downloads and uploads folders, so every
artifact path is a folder on this platform.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.targets.identity import Identity, cloud_tags, runtime_environment
from assay.targets.naming import ARTIFACT_BUCKET, artifact_path, content_key, has_scheme
from assay.targets.steps import Artifact, Step, training_steps, with_directories

PROCESSING_ROOT = "/opt/ml/processing"
DEFAULT_TRAINING_INSTANCE = "ml.m5.xlarge"
MAX_RUNTIME_SECONDS = 86_400
VOLUME_GB = 30

PARAMETERS = [
    {"Name": "ImageUri", "Type": "String", "Description": "ECR copy of the assay image this plan was compiled with (see Metadata)."},
    {"Name": "RoleArn", "Type": "String", "Description": "IAM role the processing jobs run as."},
    {"Name": "InstanceType", "Type": "String", "DefaultValue": DEFAULT_TRAINING_INSTANCE},
]


def pipeline_context(plan: Mapping[str, Any], identity: Identity) -> dict[str, Any]:
    metadata = {
        "assay-model": identity.model,
        "assay-version": identity.version,
        "assay-plan-digest": identity.digest,
        "assay-image": identity.image,
    }
    steps = [_step(step, plan, identity) for step in training_steps(plan)]
    return {"identity": identity, "metadata": metadata, "parameters": PARAMETERS, "steps": steps}


def _step(step: Step, plan: Mapping[str, Any], identity: Identity) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": {"Get": "Parameters.InstanceType"}, "VolumeSizeInGB": VOLUME_GB}
        },
        "AppSpecification": {
            "ImageUri": {"Get": "Parameters.ImageUri"},
            "ContainerEntrypoint": with_directories(step.command, f"{PROCESSING_ROOT}/in", f"{PROCESSING_ROOT}/out"),
        },
        "RoleArn": {"Get": "Parameters.RoleArn"},
        "Environment": runtime_environment(identity),
        "StoppingCondition": {"MaxRuntimeInSeconds": MAX_RUNTIME_SECONDS},
        "Tags": [{"Key": key, "Value": value} for key, value in cloud_tags(identity).items()],
    }
    if step.inputs:
        arguments["ProcessingInputs"] = [_input(artifact, plan) for artifact in step.inputs]
    if step.outputs:
        arguments["ProcessingOutputConfig"] = {"Outputs": [_output(artifact, step, identity) for artifact in step.outputs]}
    definition: dict[str, Any] = {"Name": step.name, "Type": "Processing"}
    if step.depends_on:
        definition["DependsOn"] = list(step.depends_on)
    definition["Arguments"] = arguments
    return definition


def _input(artifact: Artifact, plan: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "InputName": artifact.name,
        "S3Input": {
            "S3Uri": _input_uri(artifact, plan),
            "LocalPath": f"{PROCESSING_ROOT}/in/{artifact_path(artifact.path)}",
            "S3DataType": "S3Prefix",
            "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated",
        },
    }


def _input_uri(artifact: Artifact, plan: Mapping[str, Any]) -> str | dict[str, str]:
    if artifact.role is None:
        return {"Get": f"Steps.{artifact.producer}.ProcessingOutputConfig.Outputs['{artifact.name}'].S3Output.S3Uri"}
    source = plan["inputs"]["data"][artifact.role]
    uri: str = source["uri"]
    return uri if has_scheme(uri, "s3") else f"s3://{ARTIFACT_BUCKET}/{content_key(source['sha256'])}"


def _output(artifact: Artifact, step: Step, identity: Identity) -> dict[str, Any]:
    prefix = f"s3://{ARTIFACT_BUCKET}/{identity.model}/{identity.version}/{identity.short_digest}"
    return {
        "OutputName": artifact.name,
        "S3Output": {
            "S3Uri": f"{prefix}/{step.name}/{artifact.name}",
            "LocalPath": f"{PROCESSING_ROOT}/out/{artifact_path(artifact.path)}",
            "S3UploadMode": "EndOfJob",
        },
    }
