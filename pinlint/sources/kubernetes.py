"""Kubernetes manifests: the image of every container a workload runs, with exact spans.

A manifest is recognised by its content (`detect`): a YAML document with top-level
`apiVersion` and `kind`; no file names to configure. Every document of a multi-document file
is read, and the `items` of a `kind: List` (or `DeploymentList`, …). Images are read from the
pod spec of each workload kind (`POD_SPECS`) and from the pod templates and steps of the CRDs
whose documentation names the field (`CRD_FIELDS`: Argo Workflows and Rollouts, Tekton,
Knative Serving, KEDA ScaledJob): `containers`, `initContainers` and `ephemeralContainers` of
a pod spec, Argo templates' `container`, `script`, `containerSet`, `initContainers` and
`sidecars`, Tekton `steps`, `sidecars` and `stepTemplate`.

Kubernetes does not expand anything in `image`; a value with a template placeholder
(`{{inputs.parameters.image}}` in Argo, `$(params.image)` in Tekton, `${IMAGE}` for envsubst)
is filled in by a tool before it reaches the cluster, so it is reported as unresolved (PIN004).
A template (a file with `{{ … }}` under a Helm chart's `templates/`, or one whose actions stand
where YAML expects a value) is not YAML until rendered: it gets one PIN903 finding and nothing
else; `{{ … }}` inside strings and block scalars is data. An image that a kustomization's
`images:` list overrides is judged there (`pinlint.sources.kustomize.overridden_names`), not here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pinlint.model import CodedMessage, FileFacts
from pinlint.sources.registry import KUBERNETES, Parsed, ParseRun
from pinlint.sources.uses import image_use
from pinlint.sources.yaml import YamlReader, duplicate_key_error, hash_comments, parse_documents, pyyaml

_API_VERSION = re.compile(r"^apiVersion:[ \t]*['\"]?[A-Za-z0-9]", re.MULTILINE)
_KIND = re.compile(r"^kind:[ \t]*['\"]?[A-Za-z]", re.MULTILINE)
# a Go-template action where YAML would need a value: at the start of a line, or unquoted after
# `key:` or `- `; inside a quoted string (`"{{inputs.parameters.x}}"`) it is data, not a template
_TEMPLATE = re.compile(r"^[ \t]*\{\{|(?:^|[ \t])(?:-|[^\s'\"#:]+:)[ \t]+\{\{", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}|\$\((.*?)\)|\$\{(.*?)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_MAX_LIST_DEPTH = 8
TEMPLATE_CODE = "PIN903"

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController")

# kind -> paths from the document root to a pod spec (core and apps APIs)
POD_SPECS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Pod": (("spec",),),
    **{kind: (("spec", "template", "spec"),) for kind in WORKLOADS},
    "CronJob": (("spec", "jobTemplate", "spec", "template", "spec"),),
    "PodTemplate": (("template", "spec"),),
}

# (API group, kind) -> what holds images in that custom resource, as documented by the project:
# ("pod", path) a pod spec; ("argo", path) a list of Argo templates; ("tekton", path) a Tekton
# task spec; ("tekton-tasks", path) a list of pipeline tasks with an inline `taskSpec`;
# ("container", path) one container (an `image` field).
CRD_FIELDS: dict[tuple[str, str], tuple[tuple[str, tuple[str, ...]], ...]] = {
    # https://argoproj.github.io/argo-rollouts/features/specification/
    ("argoproj.io", "Rollout"): (("pod", ("spec", "template", "spec")),),
    # https://argo-workflows.readthedocs.io/en/latest/fields/
    ("argoproj.io", "Workflow"): (("argo", ("spec", "templates")),),
    ("argoproj.io", "WorkflowTemplate"): (("argo", ("spec", "templates")),),
    ("argoproj.io", "ClusterWorkflowTemplate"): (("argo", ("spec", "templates")),),
    ("argoproj.io", "CronWorkflow"): (("argo", ("spec", "workflowSpec", "templates")),),
    # https://tekton.dev/docs/pipelines/tasks/ , /pipelines/ , /taskruns/ , /pipelineruns/
    ("tekton.dev", "Task"): (("tekton", ("spec",)),),
    ("tekton.dev", "ClusterTask"): (("tekton", ("spec",)),),
    ("tekton.dev", "TaskRun"): (("tekton", ("spec", "taskSpec")),),
    ("tekton.dev", "Pipeline"): (("tekton-tasks", ("spec", "tasks")), ("tekton-tasks", ("spec", "finally"))),
    ("tekton.dev", "PipelineRun"): (
        ("tekton-tasks", ("spec", "pipelineSpec", "tasks")),
        ("tekton-tasks", ("spec", "pipelineSpec", "finally")),
    ),
    # https://tekton.dev/docs/pipelines/stepactions/
    ("tekton.dev", "StepAction"): (("container", ("spec",)),),
    # https://knative.dev/docs/serving/reference/serving-api/
    ("serving.knative.dev", "Service"): (("pod", ("spec", "template", "spec")),),
    ("serving.knative.dev", "Configuration"): (("pod", ("spec", "template", "spec")),),
    # https://keda.sh/docs/latest/reference/scaledjob-spec/
    ("keda.sh", "ScaledJob"): (("pod", ("spec", "jobTargetRef", "template", "spec")),),
}

POD_CONTAINERS = (
    ("containers", "kubernetes-container"),
    ("initContainers", "kubernetes-init-container"),
    ("ephemeralContainers", "kubernetes-ephemeral-container"),
)


def detect(head: str) -> bool:
    """A YAML document with top-level `apiVersion` and `kind`."""
    return _API_VERSION.search(head) is not None and _KIND.search(head) is not None


def in_chart_templates(path: Path | None) -> bool:
    """A file under a chart's `templates/` directory (beside a `Chart.yaml`)."""
    if path is None:
        return False
    for parent in list(path.parents)[:8]:
        if parent.name == "templates":
            return (parent.parent / "Chart.yaml").is_file()
    return False


def template_action(text: str, documents: list[Any] | None) -> int | None:
    """Where a Go-template action makes the file a template rather than YAML: with `documents`
    None (the text is not YAML), the first `{{` where YAML expects a value; else the first
    flow mapping that starts `{{` (`image: {{ .Values.image }}` happens to parse as YAML).
    Actions inside strings and block scalars are data (an Argo `"{{inputs.parameters.x}}"`)."""
    if documents is None:
        match = _TEMPLATE.search(text)
        return text.index("{{", match.start()) if match is not None else None
    yaml = pyyaml()
    stack = list(documents)
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            start: int = node.start_mark.index
            if node.flow_style and text.startswith("{{", start):
                return start
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


class ManifestReader(YamlReader):
    """Reads the images of one manifest file; `skip(name)` says which image names a
    kustomization overrides (judged there, not here)."""

    def __init__(self, text: str, display: str, skip: Callable[[str], bool] | None = None) -> None:
        super().__init__(text)
        self.display = display
        self.facts = FileFacts(display, text, self.index, kind=KUBERNETES)
        self.skip = skip
        self._seen: set[int] = set()

    def _template(self, offset: int) -> FileFacts:
        end = offset + 2 if self.text.startswith("{{", offset) else offset
        message = "template with {{ … }} actions, not YAML until rendered: not checked"
        self.facts.errors.append((self.index.span(offset, end), CodedMessage(message, TEMPLATE_CODE)))
        return self.facts

    def read(self, path: Path | None) -> FileFacts:
        found = self.text.find("{{")
        if found >= 0 and in_chart_templates(path):
            return self._template(found)
        documents = parse_documents(self.text)
        if isinstance(documents, tuple):
            offset, message = documents
            action = template_action(self.text, None)
            if action is not None:
                return self._template(action)
            self.facts.errors.append((self.index.span(offset, offset), message))
            return self.facts
        action = template_action(self.text, documents)
        if action is not None:
            return self._template(action)
        self.facts.comments.extend(hash_comments(self.text))
        for document in documents:
            duplicate = duplicate_key_error(document)
            if duplicate is not None:
                offset, message = duplicate
                self.facts.errors.append((self.index.span(offset, offset), message))
                continue
            self.resource(document, 0)
        return self.facts

    # -- walking -------------------------------------------------------------------------

    def scalar(self, node: Any, name: str) -> str | None:
        value = self.get(node, name)
        return value.value if self.is_scalar(value) else None

    def at(self, node: Any, path: Sequence[str]) -> Any:
        for name in path:
            node = self.get(node, name)
            if node is None:
                return None
        return node

    def resource(self, document: Any, depth: int) -> None:
        kind = self.scalar(document, "kind")
        api = self.scalar(document, "apiVersion")
        if kind is None or api is None:
            return
        if kind.endswith("List") and depth < _MAX_LIST_DEPTH:
            for _, item in self.items(self.get(document, "items")):
                self.resource(item, depth + 1)
            return
        group = api.rpartition("/")[0] if "/" in api else ""
        if group in ("", "apps", "batch", "extensions") or group.endswith(".k8s.io"):
            for path in POD_SPECS.get(kind, ()):
                self.pod_spec(self.at(document, path), _field(kind, path))
            return
        for holder, path in CRD_FIELDS.get((group, kind), ()):
            node, where = self.at(document, path), _field(kind, path)
            if holder == "pod":
                self.pod_spec(node, where)
            elif holder == "argo":
                for i, template in self.items(node):
                    self.argo_template(template, f"{where}.{i}")
            elif holder == "tekton":
                self.tekton_task(node, where)
            elif holder == "tekton-tasks":
                for i, task in self.items(node):
                    self.tekton_task(self.get(task, "taskSpec"), f"{where}.{i}.taskSpec")
            else:
                self.container(node, "kubernetes-step", where)

    def items(self, node: Any) -> Iterator[tuple[int, Any]]:
        """(index, item) of a sequence; nothing for anything else."""
        if isinstance(node, pyyaml().SequenceNode):
            yield from enumerate(node.value)

    def pod_spec(self, spec: Any, where: str) -> None:
        for field, kind in POD_CONTAINERS:
            for i, container in self.items(self.get(spec, field)):
                self.container(container, kind, f"{where}.{field}.{i}")

    def argo_template(self, template: Any, where: str) -> None:
        self.container(self.get(template, "container"), "kubernetes-container", f"{where}.container")
        self.container(self.get(template, "script"), "kubernetes-script", f"{where}.script")
        for i, container in self.items(self.at(template, ("containerSet", "containers"))):
            self.container(container, "kubernetes-container", f"{where}.containerSet.containers.{i}")
        for i, container in self.items(self.get(template, "initContainers")):
            self.container(container, "kubernetes-init-container", f"{where}.initContainers.{i}")
        for i, container in self.items(self.get(template, "sidecars")):
            self.container(container, "kubernetes-sidecar", f"{where}.sidecars.{i}")

    def tekton_task(self, spec: Any, where: str) -> None:
        for i, step in self.items(self.get(spec, "steps")):
            self.container(step, "kubernetes-step", f"{where}.steps.{i}")
        for i, sidecar in self.items(self.get(spec, "sidecars")):
            self.container(sidecar, "kubernetes-sidecar", f"{where}.sidecars.{i}")
        self.container(self.get(spec, "stepTemplate"), "kubernetes-step", f"{where}.stepTemplate")

    # -- images --------------------------------------------------------------------------

    def container(self, container: Any, kind: str, where: str) -> None:
        node = self.get(container, "image")
        if not self.is_scalar(node) or id(node) in self._seen:
            return
        self._seen.add(id(node))
        raw, start, end = self.scalar_text(node)
        span = self.index.span(start, end)
        whole = (start, end) if node.style in ('"', "'") else None
        field = f"{where}.image"
        placeholders = [next(g for g in m.groups() if g is not None) for m in _PLACEHOLDER.finditer(raw.text)]
        if placeholders:
            names = tuple(dict.fromkeys(placeholders))
            use = image_use(self.display, kind, self.index, span, raw, None, unresolved=names)
            self.facts.images.append(use._replace(field=field))
            return
        if self.skip is not None and self.skip(_image_name(raw.text)):
            return
        use = image_use(self.display, kind, self.index, span, raw, raw, whole=whole)
        self.facts.images.append(use._replace(field=field))


def _field(kind: str, path: Sequence[str]) -> str:
    """Where an image is, as `tag-only-fields` names it: `Kind:spec.template.spec…`."""
    return f"{kind}:{'.'.join(path)}"


def _image_name(text: str) -> str:
    """The name part of a reference as written (what a kustomization's `images[].name` matches)."""
    name = text.partition("@")[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def read_manifest(text: str, display: str, path: Path | None, skip: Callable[[str], bool] | None) -> FileFacts:
    return ManifestReader(text, display, skip).read(path)


def parse(text: str, path: Path, display: str, contexts: Sequence[object], run: ParseRun) -> Parsed:
    from pinlint.sources.kustomize import overridden_names

    located = path if display != "-" else None
    names = overridden_names(located, run) if located is not None else frozenset()
    return Parsed([read_manifest(text, display, located, names.__contains__ if names else None)])


def reparse(text: str, path: Path) -> FileFacts:
    """What `fix` checks its result with: every image, overridden or not (it looks for the pins it
    wrote and for new errors, so the kustomization index is not built again per file)."""
    return read_manifest(text, str(path), path, None)
