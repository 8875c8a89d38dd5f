"""Style-network registry: find ``*.onnx`` models by name or path and read their metadata.

A stylecam model is self-describing: everything the runtime needs to run it is
stored in the ONNX file's ``metadata_props`` (see :mod:`stylecam.contract`), so no
side table is needed. Reading the metadata uses ONNX Runtime only (no torch,
no ``onnx`` package).

Search order for a name (``--style starry-night``):

1. an existing path (``--style ./my.onnx``);
2. each folder in ``STYLECAM_MODELS`` (``os.pathsep``-separated);
3. the user data folder (``~/.local/share/stylecam/models`` on Linux,
   ``%APPDATA%\\stylecam\\models`` on Windows,
   ``~/Library/Application Support/stylecam/models`` on macOS);
4. the models shipped with stylecam.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .contract import (
    DEFAULT,
    METADATA_KEYS,  # noqa: F401  (re-exported: the keys live in contract.py)
    IOContract,
)
from .errors import ModelError, first_line

DEFAULT_STYLE = "starry-night"

#: Precisions a model can have beside its float32 file: ``NAME.fp16.onnx``, ``NAME.int8.onnx``.
VARIANT_PRECISIONS = ("fp16", "int8")
#: Values of ``--precision``.
PRECISIONS = ("auto", "fp32", *VARIANT_PRECISIONS)
#: What ``--precision auto`` picks per device when the variant exists: int8 runs on the CPU's integer
#: dot products (VNNI), fp16 on CUDA tensor cores; TensorRT builds its own fp16 engine from float32.
#: On the CPU the engine decides (:func:`stylecam.engine.create_session`): int8 with integer dot products
#: (VNNI), and on an AVX2-only CPU when the int8 file has 7-bit weights (which cannot saturate there);
#: :meth:`ModelInfo.path_for` alone keeps float32 on CPUs without dot products.
AUTO_PRECISION = {"cpu": "int8", "cuda": "fp16", "tensorrt": "fp32"}


@lru_cache(maxsize=1)
def cpu_has_int8_dot() -> bool:
    """True when this CPU has integer dot-product instructions (x86 VNNI or AMX, Arm dot product).

    Without them ONNX Runtime's u8 x s8 kernels fall back to 16-bit multiply-adds that can saturate, so
    ``--precision auto`` keeps float32 there. ``STYLECAM_INT8=1`` or ``0`` overrides the check.
    """
    env = os.environ.get("STYLECAM_INT8", "").strip()
    if env in ("0", "1"):
        return env == "1"
    try:
        try:
            from numpy._core._multiarray_umath import __cpu_features__ as features
        except ImportError:  # numpy 1.x
            from numpy.core._multiarray_umath import __cpu_features__ as features
    except ImportError:
        features = {}
    if any(features.get(k) for k in ("AVX512VNNI", "AVXVNNI", "AVX512_CLX", "ASIMDDP")):
        return True
    try:  # AVX-VNNI (256-bit, Alder Lake and later) and AMX, which numpy may not list
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(f in flags for f in (" avx_vnni", " avx512_vnni", " amx_int8"))


def variant_path(path: str | os.PathLike, precision: str) -> Path:
    """Where the ``precision`` variant of the float32 model ``path`` lives: ``NAME.PRECISION.onnx``."""
    path = Path(path)
    return path if precision == "fp32" else path.with_name(f"{path.stem}.{precision}.onnx")


def is_variant_file(path: str | os.PathLike) -> bool:
    """True for ``NAME.fp16.onnx`` and ``NAME.int8.onnx`` (listed under their float32 model)."""
    stem = Path(path).stem
    return any(stem.endswith(f".{p}") for p in VARIANT_PRECISIONS)


@dataclass
class ModelInfo:
    """A style network on disk and what its metadata says about it.

    A network of several styles (``styles`` metadata) is listed once per style: each entry has the
    file's ``path``, the style's ``name`` and ``style_weights``, one-hot over the file's styles (or the
    weights of a blend, see :func:`find_blend`). ``alternatives`` are other networks of the same style
    (the fast live network beside the painting network).
    """

    path: Path
    name: str
    origin: str  # 'shipped', 'user', 'env', 'path'
    meta: dict[str, str] = field(default_factory=dict)
    style_weights: tuple[float, ...] | None = None
    alternatives: list[ModelInfo] = field(default_factory=list, repr=False)

    def get(self, key: str) -> str:
        """A metadata value; a contract key the file omits gets :data:`stylecam.contract.DEFAULT`'s."""
        return self.meta.get(key) or DEFAULT.metadata().get(key, "")

    @property
    def contract(self) -> IOContract:
        """What the network takes and returns (:class:`~stylecam.contract.IOContract`)."""
        return IOContract.from_metadata(self.meta)

    @property
    def styles(self) -> list[dict[str, str]]:
        """The styles inside a multi-style file, in the order of its weights (``[]`` for one style)."""
        try:
            styles = json.loads(self.meta.get("styles", "[]"))
        except json.JSONDecodeError:
            return []
        return (
            [s for s in styles if isinstance(s, dict) and s.get("name")] if isinstance(styles, list) else []
        )

    @property
    def is_multi_style(self) -> bool:
        """True for a network that takes style weights (the 'style' input)."""
        return bool(self.styles)

    def with_weights(self, weights: dict[str, float]) -> ModelInfo:
        """This file's network with the given style weights (normalised to sum to 1), as one entry.

        Raises:
            ModelError: a style that is not in this file, or weights that are not positive.
        """
        names = [s["name"] for s in self.styles]
        unknown = [n for n in weights if n not in names]
        if unknown:
            raise ModelError(
                f"style '{unknown[0]}' is not in {self.path.name}", f"it holds: {', '.join(names)}"
            )
        if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise ModelError("blend weights must be positive", "e.g. --style starry-night:0.7,the-scream:0.3")
        total = sum(weights.values())
        vec = tuple(weights.get(n, 0.0) / total for n in names)
        used = [n for n in names if weights.get(n, 0.0) > 0]
        if len(used) == 1:
            style = next(st for st in self.styles if st["name"] == used[0])
            meta = {
                **self.meta,
                **{k: style.get(k, "") for k in ("title", "artist", "year")},
                "name": used[0],
            }
            return ModelInfo(self.path, used[0], self.origin, meta, vec)
        name = "+".join(f"{n}:{weights[n] / total:.2g}" for n in used)
        meta = {**self.meta, "name": name, "title": " + ".join(used), "artist": "", "year": ""}
        return ModelInfo(self.path, name, self.origin, meta, vec)

    @property
    def title(self) -> str:
        return self.meta.get("title", "")

    @property
    def artist(self) -> str:
        return self.meta.get("artist", "")

    @property
    def arch(self) -> str:
        return self.meta.get("arch", "")

    @property
    def size_multiple(self) -> int:
        return self.contract.size_multiple

    @property
    def recommended_size(self) -> tuple[int, int] | None:
        from .sizes import parse_wh

        return parse_wh(self.meta.get("recommended_size", ""))

    @property
    def training(self) -> dict:
        try:
            return json.loads(self.meta.get("training", "{}"))
        except json.JSONDecodeError:
            return {}

    @property
    def size_bytes(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    @property
    def precision(self) -> str:
        """This file's precision: ``'fp32'``, or ``'fp16'``/``'int8'`` when it is itself a variant."""
        return self.meta.get("precision", "fp32")

    @property
    def variants(self) -> dict[str, Path]:
        """The precision variants beside this float32 model, by precision (``{}`` when none)."""
        if self.precision != "fp32":
            return {}
        found = {p: variant_path(self.path, p) for p in VARIANT_PRECISIONS}
        return {p: path for p, path in found.items() if path.is_file()}

    def path_for(self, device: str, precision: str = "auto") -> tuple[Path, str]:
        """The file to run on ``device`` (``'cpu'``, ``'cuda'``, ``'tensorrt'``) and its precision.

        ``'auto'`` takes :data:`AUTO_PRECISION` for the device when that variant exists, else float32.
        A file that is itself a variant always runs as it is.

        Raises:
            ModelError: an explicit precision whose variant does not exist.
        """
        if precision not in PRECISIONS:
            raise ModelError(f"unknown precision '{precision}'", f"use one of: {', '.join(PRECISIONS)}")
        if self.precision != "fp32":
            return self.path, self.precision
        variants = self.variants
        if precision == "auto":
            wanted = AUTO_PRECISION.get(device, "fp32")
            if wanted == "int8" and not cpu_has_int8_dot():
                wanted = "fp32"
            return (variants[wanted], wanted) if wanted in variants else (self.path, "fp32")
        if precision == "fp32":
            return self.path, "fp32"
        if precision not in variants:
            raise ModelError(
                f"style '{self.name}' has no {precision} variant ({variant_path(self.path, precision).name})",
                f"make it with 'stylecam variants {self.path}', or use --precision auto",
            )
        return variants[precision], precision

    def describe(self) -> str:
        parts = [self.title, self.artist]
        return ", ".join(p for p in parts if p)


def shipped_models_dir() -> Path:
    """The folder holding the models that ship with stylecam."""
    here = Path(__file__).resolve().parent
    repo = here.parent / "models"  # a source checkout or an editable install
    if repo.is_dir():
        return repo
    return here / "_models"  # a wheel install: models are packaged inside


def user_models_dir() -> Path:
    """The per-user folder where ``stylecam train`` puts new models (see :mod:`stylecam.paths`)."""
    from .paths import user_data_dir

    return user_data_dir() / "models"


def search_dirs() -> list[tuple[Path, str]]:
    """Folders searched for models, highest priority first, with their origin label."""
    dirs: list[tuple[Path, str]] = []
    env = os.environ.get("STYLECAM_MODELS", "")
    for part in env.split(os.pathsep):
        if part.strip():
            dirs.append((Path(part).expanduser(), "env"))
    dirs.append((user_models_dir(), "user"))
    dirs.append((shipped_models_dir(), "shipped"))
    return dirs


def read_metadata(path: str | os.PathLike) -> dict[str, str]:
    """Read an ONNX file's ``metadata_props`` with ONNX Runtime.

    Raises:
        ModelError: the file is missing or not a valid ONNX model.
    """
    path = Path(path)
    return dict(_read_metadata_cached(str(path.resolve()), path.stat().st_mtime_ns if path.exists() else 0))


@lru_cache(maxsize=256)
def _read_metadata_cached(path: str, _mtime: int) -> tuple[tuple[str, str], ...]:
    from .providers import PROVIDERS, load_onnxruntime

    ort = load_onnxruntime()
    if not Path(path).is_file():
        raise ModelError(f"model file not found: {path}", "check the path, or run 'stylecam styles'")
    options = ort.SessionOptions()
    options.log_severity_level = 4
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        session = ort.InferenceSession(path, options, providers=[PROVIDERS["cpu"].ort_name])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ModelError(
            f"{path} is not a valid ONNX model ({first_line(exc)})",
            "re-export it with 'stylecam export' or pick another style",
        ) from None
    meta = session.get_modelmeta().custom_metadata_map
    return tuple(sorted(meta.items()))


def _info_for(path: Path, origin: str) -> ModelInfo:
    """The file's network; for a multi-style file, its first style."""
    return _entries(path, origin)[0]


def _file_info(path: Path, origin: str) -> ModelInfo:
    """The file as one entry (a multi-style file with no style weights chosen)."""
    meta = read_metadata(path)
    return ModelInfo(path=path, name=meta.get("name") or path.stem, origin=origin, meta=meta)


def network_files(folder: Path, origin: str) -> Iterator[ModelInfo]:
    """The float32 network files in ``folder``, one entry each, in name order; precision variants (listed
    under their float32 file) and files that are not readable style networks are skipped, so a broken
    file in a search folder does not hide the others."""
    for path in sorted(folder.glob("*.onnx")) if folder.is_dir() else ():
        if is_variant_file(path):
            continue
        try:
            yield _file_info(path, origin)
        except ModelError:
            continue


def _entries(path: Path, origin: str) -> list[ModelInfo]:
    """One entry per style in the file."""
    return _style_entries(_file_info(path, origin))


def _style_entries(file_info: ModelInfo) -> list[ModelInfo]:
    if not file_info.is_multi_style:
        return [file_info]
    return [file_info.with_weights({s["name"]: 1.0}) for s in file_info.styles]


#: which network of a style a name finds first: the painting network, then the others
ARCH_PRIORITY = {"paint": 0, "quality": 1, "fast": 2}


def list_models() -> list[ModelInfo]:
    """All styles found in the search folders, one entry per name: the highest-priority folder wins, and in
    a folder the painting network; networks of other kinds for that name (a fast network beside a painting
    network) become its ``alternatives``."""
    seen: dict[str, ModelInfo] = {}
    for folder, origin in search_dirs():
        here: dict[str, list[ModelInfo]] = {}
        for file_info in network_files(folder, origin):
            for info in _style_entries(file_info):
                here.setdefault(info.name, []).append(info)
        for name, infos in here.items():
            infos.sort(key=lambda m: ARCH_PRIORITY.get(m.arch, 9))
            if name in seen:  # a lower folder: only networks of another kind, as alternatives
                known = {seen[name].arch, *(a.arch for a in seen[name].alternatives)}
                seen[name].alternatives += [m for m in infos if m.arch not in known]
                continue
            first = infos[0]
            first.alternatives = infos[1:]
            seen[name] = first
    return sorted(seen.values(), key=lambda m: (m.origin != "shipped", m.name))


def parse_blend(text: str) -> dict[str, float] | None:
    """``'starry-night:0.7,the-scream:0.3'`` -> ``{'starry-night': 0.7, 'the-scream': 0.3}``; None for a
    plain style name or path.

    Raises:
        ModelError: a weight that is not a number.
    """
    looks_like_path = "/" in text or "\\" in text or text.endswith(".onnx")
    if looks_like_path or ("," not in text and ":" not in text):
        return None
    out: dict[str, float] = {}
    for part in text.split(","):
        name, _, weight = part.strip().partition(":")
        try:
            out[name.strip()] = float(weight) if weight else 1.0
        except ValueError:
            raise ModelError(
                f"blend weight '{weight}' of '{name}' is not a number",
                "e.g. --style starry-night:0.7,the-scream:0.3",
            ) from None
    return out


def find_blend(weights: dict[str, float]) -> ModelInfo:
    """The multi-style network that holds every named style, with those weights.

    Raises:
        ModelError: an unknown style, or styles that are not in one multi-style network.
    """
    infos = {name: find_model(name) for name in weights}
    files = {info.path for info in infos.values()}
    first = next(iter(infos.values()))
    if len(files) != 1 or not first.is_multi_style:
        # a user's own style sits in a file that holds the shipped styles too: look for one with them all
        for folder, origin in search_dirs():
            for info in network_files(folder, origin):
                if set(weights) <= {st["name"] for st in info.styles}:
                    return info.with_weights(weights)
        where = ", ".join(f"{n} in {i.path.name}" for n, i in infos.items())
        raise ModelError(
            f"cannot blend styles of different networks ({where})",
            "blend styles of one multi-style network ('stylecam styles' shows which)",
        )
    return first.with_weights(weights)


def find_model(style: str | os.PathLike | None) -> ModelInfo:
    """Find a model by name or path.

    Args:
        style: a style name (``'starry-night'``), a file stem, a path to an ``.onnx`` file, or a blend
            of styles of one multi-style network (``'starry-night:0.7,the-scream:0.3'``). ``None`` means
            the default style.

    Raises:
        ModelError: no such model; the message lists the known names.
    """
    if style is None:
        style = DEFAULT_STYLE
    text = str(style)
    path = Path(text).expanduser()
    looks_like_path = text.endswith(".onnx") or os.sep in text or "/" in text
    if path.is_file():
        return _info_for(path, "path")
    if looks_like_path:
        raise ModelError(f"model file not found: {text}", "check the path, or run 'stylecam styles'")
    blend = parse_blend(text)
    if blend is not None:
        return find_blend(blend)
    models = list_models()
    for info in models:
        if info.name == text:
            return info
    for info in models:
        if info.path.stem == text:
            return info
    known = ", ".join(m.name for m in models) or "none installed"
    raise ModelError(f"unknown style '{text}'", f"known styles: {known}")


def default_model() -> ModelInfo:
    """The default style, or the first model found when it is not installed."""
    try:
        return find_model(DEFAULT_STYLE)
    except ModelError:
        models = list_models()
        if not models:
            raise ModelError(
                "no style models found", f"put .onnx files in {user_models_dir()} or set STYLECAM_MODELS"
            ) from None
        return models[0]
