"""The NVIDIA libraries behind ONNX Runtime's CUDA and TensorRT providers: where each one is, and loading them.

``pip install "stylecam[cuda]"`` brings the CUDA 13 runtime, cuBLAS, cuRAND, cuFFT, NVRTC and cuDNN 9 as
NVIDIA's wheels (``site-packages/nvidia/...``); ``stylecam[tensorrt]`` adds TensorRT 10
(``site-packages/tensorrt_libs``). Nothing puts those folders on the loader's path, so before a CUDA or
TensorRT session is created :func:`preload` loads them into the process: ONNX Runtime's own
``onnxruntime.preload_dlls()`` first, then by full path whatever it did not take (a second site-packages
folder, the one-folder-per-library layout, TensorRT). The NVIDIA driver (``libcuda.so.1``,
``nvcuda.dll``) can only come from the system.

:func:`find_libraries` says, for each library a device needs, where it was found (which wheel, or the
system loader's path) or that it is missing; :meth:`LibraryReport.problem` puts what is wrong in a few
words and :meth:`LibraryReport.fix` the one thing to do about it. Nothing here imports torch.

Example:
    >>> from stylecam.gpu_libraries import find_libraries
    >>> report = find_libraries("cuda")  # doctest: +SKIP
    >>> report.fix()  # doctest: +SKIP
    'install the NVIDIA driver (580 or newer)'
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import io
import os
import re
import sys
import threading
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import PathDistribution
from pathlib import Path

from .errors import first_line
from .providers import GPU_DEVICES

#: what installs the CUDA libraries, and TensorRT with them (TensorRT's wheels live on NVIDIA's index)
CUDA_EXTRA = 'pip install "stylecam[cuda]"'
TENSORRT_EXTRA = 'pip install --extra-index-url https://pypi.nvidia.com "stylecam[tensorrt]"'
#: the oldest driver branch that runs each CUDA major version (NVIDIA's CUDA release notes)
MIN_DRIVER = {12: "525", 13: "580"}
DRIVER_VERSION_FILE = Path("/proc/driver/nvidia/version")

Loader = Callable[[str], str]
"""Loads a library by file name through the system loader and returns its path; raises OSError if absent."""


@dataclass(frozen=True)
class Library:
    """One shared library a GPU provider loads."""

    name: str  # the file the loader looks for: libcublas.so.13, cublas64_13.dll
    what: str  # cuBLAS
    dirs: tuple[str, ...]  # where NVIDIA's wheels put it, relative to site-packages, most likely first
    required: bool = True  # False: loaded only for some operators (cuFFT, NVRTC)
    device: str = "cuda"  # "tensorrt": needed by TensorRT only

    @property
    def label(self) -> str:
        return f"{self.what} ({self.name})"


@dataclass(frozen=True)
class Found:
    """Where one library is: ``source`` is ``"wheel"``, ``"system"`` or ``"missing"``."""

    library: Library
    source: str
    path: str | None = None
    wheel: str | None = None  # the distribution whose files hold it: "nvidia-cublas 13.1.1.3"
    error: str | None = None  # it is there but did not load (set by preload)

    @property
    def usable(self) -> bool:
        return self.source != "missing" and self.error is None

    def describe(self) -> str:
        if self.source == "missing":
            return "missing" + ("" if self.library.required else " (optional)")
        where = (
            f"wheel {self.wheel or '(unknown package)'}: {self.path}"
            if self.source == "wheel"
            else f"system: {self.path}"
        )
        return where + (f" — does not load: {self.error}" if self.error else "")


@dataclass(frozen=True)
class Driver:
    """The NVIDIA driver: its user-space library, the kernel module's version, the CUDA it supports."""

    name: str  # libcuda.so.1 or nvcuda.dll
    path: str | None  # None: not found
    kernel_module: str | None = None  # "580.65.06" from /proc/driver/nvidia/version
    cuda: tuple[int, int] | None = None  # the newest CUDA version the driver runs (cuDriverGetVersion)

    @property
    def found(self) -> bool:
        return self.path is not None

    def describe(self) -> str:
        if not self.found:
            if self.kernel_module:
                return f"missing: {self.name} not found, though kernel module {self.kernel_module} is loaded"
            return f"missing: {self.name} not found, no NVIDIA kernel module loaded"
        text = f"{self.path}"
        if self.kernel_module:
            text += f", kernel module {self.kernel_module}"
        if self.cuda:
            text += f", supports CUDA {self.cuda[0]}.{self.cuda[1]}"
        return text


@dataclass(frozen=True)
class LibraryReport:
    """What one device needs, where each piece was found, and what to do about what is missing."""

    device: str  # "cuda" or "tensorrt"
    cuda_major: int  # the CUDA major version onnxruntime-gpu was built with
    driver: Driver
    libraries: tuple[Found, ...]

    @property
    def missing(self) -> list[Found]:
        """Required libraries that are absent or do not load."""
        return [f for f in self.libraries if f.library.required and not f.usable]

    @property
    def driver_too_old(self) -> bool:
        return self.driver.cuda is not None and self.driver.cuda[0] < self.cuda_major

    @property
    def ok(self) -> bool:
        return self.driver.found and not self.driver_too_old and not self.missing

    def problem(self) -> str | None:
        """What stops the device, in a few words; None when every library is there."""
        if self.ok:
            return None
        missing = self.missing
        if not missing and not self.driver.found:
            libs = f"CUDA {self.cuda_major}" + (" and TensorRT 10" if self.device == "tensorrt" else "")
            return f"only the NVIDIA driver is missing ({self.driver.name} not found; the {libs} libraries are installed)"
        absent = [] if self.driver.found else [f"the NVIDIA driver ({self.driver.name})"]
        absent += [f.library.label for f in missing if f.source == "missing"]
        clauses = ["missing " + ", ".join(absent)] if absent else []
        clauses += [f"{f.library.name} does not load ({f.error})" for f in missing if f.source != "missing"]
        if self.driver_too_old and self.driver.cuda:
            module = f" {self.driver.kernel_module}" if self.driver.kernel_module else ""
            major, minor = self.driver.cuda
            clauses.append(
                f"the NVIDIA driver{module} runs CUDA {major}.{minor} at most; "
                f"ONNX Runtime needs CUDA {self.cuda_major}"
            )
        return "; ".join(clauses)

    def fix(self) -> str | None:
        """The one thing to do (a command, or installing the driver); None when nothing is missing."""
        if self.ok:
            return None
        steps = []
        if not self.driver.found or self.driver_too_old:
            verb = "update" if self.driver_too_old else "install"
            steps.append(
                f"{verb} the NVIDIA driver ({MIN_DRIVER.get(self.cuda_major, 'a current')} or newer)"
            )
        missing = self.missing
        if missing:
            command = TENSORRT_EXTRA if any(f.library.device == "tensorrt" for f in missing) else CUDA_EXTRA
            if all(f.source != "missing" for f in missing):  # there, but broken
                command = command.replace("pip install ", "pip install --force-reinstall ", 1)
            steps.append(command)
        return " and ".join(steps)

    def lines(self) -> list[str]:
        """One line for the driver and one for each library: where it was found, or that it is missing."""
        width = max([len(self.driver.name), *(len(f.library.name) for f in self.libraries)]) + 2
        out = [f"{self.driver.name:<{width}}{self.driver.describe()}"]
        out += [f"{f.library.name:<{width}}{f.describe()}" for f in self.libraries]
        return out

    def as_dict(self) -> dict:
        return {
            "device": self.device,
            "cuda_major": self.cuda_major,
            "driver": {
                "name": self.driver.name,
                "path": self.driver.path,
                "kernel_module": self.driver.kernel_module,
                "cuda": ".".join(map(str, self.driver.cuda)) if self.driver.cuda else None,
            },
            "libraries": {
                f.library.name: {
                    "what": f.library.what,
                    "required": f.library.required,
                    "source": f.source,
                    "path": f.path,
                    "wheel": f.wheel,
                    "error": f.error,
                }
                for f in self.libraries
            },
            "problem": self.problem(),
            "fix": self.fix(),
        }


# --------------------------------------------------------------------------- what each device needs


def onnxruntime_cuda_major() -> int:
    """The CUDA major version this onnxruntime-gpu was built with (13 for 1.31; 13 when unknown)."""
    try:
        from onnxruntime.capi import build_and_package_info as build

        return int(str(getattr(build, "cuda_version", "") or "13").split(".")[0])
    except (ImportError, ValueError):
        return 13


def libraries(
    device: str = "cuda", platform: str | None = None, cuda_major: int | None = None
) -> list[Library]:
    """The libraries ``device`` needs besides the driver, in the order they must be loaded.

    These are the ones ONNX Runtime's CUDA provider links against (the CUDA runtime, cuBLASLt, cuBLAS,
    cuRAND) or opens (cuDNN 9; cuFFT and NVRTC for a few operators only), and for TensorRT also
    ``nvinfer`` and its ONNX parser.
    """
    if device not in GPU_DEVICES:
        raise ValueError(f"device must be one of {GPU_DEVICES}, got {device!r}")
    platform = platform or sys.platform
    major = cuda_major or onnxruntime_cuda_major()
    cufft = 12 if major >= 13 else 11
    win = platform.startswith("win")

    def dirs(component: str) -> tuple[str, ...]:
        # CUDA 13's wheels share one folder (nvidia/cu13/lib); CUDA 12's have one per component
        joint = (f"nvidia/cu{major}/bin/x86_64",) if win else (f"nvidia/cu{major}/lib",)
        own = (f"nvidia/{component}/bin",) if win else (f"nvidia/{component}/lib",)
        return (*joint, *own) if major >= 13 else own

    if win:
        libs = [
            Library(f"cudart64_{major}.dll", "the CUDA runtime", dirs("cuda_runtime")),
            Library(f"cublasLt64_{major}.dll", "cuBLASLt", dirs("cublas")),
            Library(f"cublas64_{major}.dll", "cuBLAS", dirs("cublas")),
            Library("curand64_10.dll", "cuRAND", dirs("curand")),
            Library(f"cufft64_{cufft}.dll", "cuFFT", dirs("cufft"), required=False),
            Library("cudnn64_9.dll", "cuDNN 9", ("nvidia/cudnn/bin",)),
        ]
        trt = [
            Library("nvinfer_10.dll", "TensorRT 10", ("tensorrt_libs",), device="tensorrt"),
            Library("nvonnxparser_10.dll", "TensorRT's ONNX parser", ("tensorrt_libs",), device="tensorrt"),
        ]
    else:
        libs = [
            Library(f"libcudart.so.{major}", "the CUDA runtime", dirs("cuda_runtime")),
            Library(f"libcublasLt.so.{major}", "cuBLASLt", dirs("cublas")),
            Library(f"libcublas.so.{major}", "cuBLAS", dirs("cublas")),
            Library("libcurand.so.10", "cuRAND", dirs("curand")),
            Library(f"libcufft.so.{cufft}", "cuFFT", dirs("cufft"), required=False),
            Library(f"libnvrtc.so.{major}", "NVRTC", dirs("cuda_nvrtc"), required=False),
            Library("libcudnn.so.9", "cuDNN 9", ("nvidia/cudnn/lib",)),
        ]
        trt = [
            Library("libnvinfer.so.10", "TensorRT 10", ("tensorrt_libs",), device="tensorrt"),
            Library("libnvonnxparser.so.10", "TensorRT's ONNX parser", ("tensorrt_libs",), device="tensorrt"),
        ]
    return libs + trt if device == "tensorrt" else libs


# --------------------------------------------------------------------------- finding them


def site_dirs() -> list[Path]:
    """The folders on ``sys.path`` (site-packages, user site, PYTHONPATH) that exist, in order."""
    out: list[Path] = []
    for entry in sys.path:
        if entry and os.path.isdir(entry):
            p = Path(entry).resolve()
            if p not in out:
                out.append(p)
    return out


def _wheel_files(site: Path) -> dict[str, str]:
    """``{relative path: "name version"}`` for the files of NVIDIA's and TensorRT's wheels in ``site``."""
    try:
        stamp = site.stat().st_mtime_ns  # installing or removing a wheel changes the folder
    except OSError:
        return {}
    return _wheel_files_at(site, stamp)


@functools.lru_cache(maxsize=32)
def _wheel_files_at(site: Path, stamp: int) -> dict[str, str]:
    owners: dict[str, str] = {}
    for info in sorted(site.glob("*.dist-info")):
        if not info.name.lower().startswith(("nvidia", "tensorrt")):
            continue
        dist = PathDistribution(info)
        label = f"{dist.metadata.get('Name') or info.name.split('-')[0]} {dist.version}"
        for f in dist.files or ():
            owners.setdefault(str(f).replace("\\", "/"), label)
    return owners


def _find_in_wheels(lib: Library, sites: Iterable[Path]) -> Found | None:
    for site in sites:
        for rel in lib.dirs:
            path = site / rel / lib.name
            if path.is_file():
                return Found(lib, "wheel", str(path), _wheel_files(site).get(f"{rel}/{lib.name}"))
    return None


class _LinkMap(ctypes.Structure):  # the start of glibc's struct link_map
    _fields_ = [("l_addr", ctypes.c_void_p), ("l_name", ctypes.c_char_p)]


def _loaded_path(lib: ctypes.CDLL) -> str | None:
    """The file a loaded library came from, or None where the platform does not say."""
    with contextlib.suppress(Exception):
        if sys.platform.startswith("linux"):
            dlinfo = getattr(ctypes.CDLL(None), "dlinfo", None) or ctypes.CDLL("libdl.so.2").dlinfo
            link_map = ctypes.POINTER(_LinkMap)()
            if (
                dlinfo(ctypes.c_void_p(lib._handle), 2, ctypes.byref(link_map)) == 0 and link_map
            ):  # RTLD_DI_LINKMAP
                name = link_map.contents.l_name
                return os.fsdecode(name) if name else None
        elif sys.platform.startswith("win"):
            buf = ctypes.create_unicode_buffer(32768)
            if ctypes.windll.kernel32.GetModuleFileNameW(ctypes.c_void_p(lib._handle), buf, len(buf)):
                return buf.value
    return None


def system_loader(name: str) -> str:
    """Load ``name`` as the system loader finds it (LD_LIBRARY_PATH, ldconfig, PATH...); its path.

    Raises:
        OSError: the loader does not find it, or it does not load.
    """
    lib = ctypes.CDLL(name)
    return _loaded_path(lib) or name


def _kernel_module_version(path: Path = DRIVER_VERSION_FILE) -> str | None:
    """The loaded NVIDIA kernel module's version ("NVRM version: NVIDIA UNIX ... Kernel Module  580.65.06 ...")."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return None
    m = re.search(r"Kernel Module\b.*?\s(\d+\.\d+(?:\.\d+)?)\s", text + " ")
    return m.group(1) if m else None


def _driver_cuda_version(path: str) -> tuple[int, int] | None:
    """The newest CUDA version the driver at ``path`` supports (cuDriverGetVersion; works before cuInit)."""
    with contextlib.suppress(Exception):
        version = ctypes.c_int(0)
        if ctypes.CDLL(path).cuDriverGetVersion(ctypes.byref(version)) == 0 and version.value > 0:
            return version.value // 1000, (version.value % 1000) // 10
    return None


def find_driver(
    platform: str | None = None,
    loader: Loader = system_loader,
    version_file: Path = DRIVER_VERSION_FILE,
    cuda_version: Callable[[str], tuple[int, int] | None] = _driver_cuda_version,
) -> Driver:
    """The NVIDIA driver as this process sees it (``libcuda.so.1`` / ``nvcuda.dll``)."""
    name = "nvcuda.dll" if (platform or sys.platform).startswith("win") else "libcuda.so.1"
    kernel = _kernel_module_version(version_file)
    try:
        path = loader(name)
    except OSError:
        return Driver(name, None, kernel)
    return Driver(name, path, kernel, cuda_version(path))


def find_libraries(
    device: str = "cuda",
    sites: Iterable[Path | str] | None = None,
    platform: str | None = None,
    loader: Loader = system_loader,
    cuda_major: int | None = None,
    driver: Driver | None = None,
) -> LibraryReport:
    """Where each library ``device`` needs is: a wheel under one of ``sites`` (default: ``sys.path``),
    else wherever the system loader finds it, else missing. Files in wheels are not loaded here; the
    system loader's search does load what it finds (it is the only way to ask it). Load failures that
    :func:`preload` met are part of the report.
    """
    major = cuda_major or onnxruntime_cuda_major()
    site_list = [Path(s) for s in sites] if sites is not None else site_dirs()
    found = []
    for lib in libraries(device, platform, major):
        hit = _find_in_wheels(lib, site_list)
        if hit is None:
            try:
                hit = Found(lib, "system", loader(lib.name))
            except OSError:
                hit = Found(lib, "missing")
        elif hit.path in _load_errors:
            hit = Found(lib, hit.source, hit.path, hit.wheel, _load_errors[hit.path])
        found.append(hit)
    drv = driver if driver is not None else find_driver(platform, loader)
    return LibraryReport(device, major, drv, tuple(found))


# --------------------------------------------------------------------------- loading them


_lock = threading.Lock()
_preloaded: set[tuple] = set()  # (device, sites) whose libraries were loaded in this process
_load_errors: dict[str, str] = {}  # wheel file -> why it did not load


def _onnxruntime_preload() -> None:
    """``onnxruntime.preload_dlls()``: CUDA and cuDNN from the nvidia wheels beside onnxruntime (ORT >= 1.21).

    ``directory=""`` searches the nvidia site packages, then the default paths (on Windows it would
    otherwise prefer a compatible PyTorch's lib folder). It prints what fails on stdout; the report
    says that better, so its output is dropped.
    """
    try:
        import onnxruntime as ort
    except ImportError:
        return
    preload_dlls = getattr(ort, "preload_dlls", None)
    if preload_dlls is None:
        return
    with (
        contextlib.redirect_stdout(io.StringIO()),
        warnings.catch_warnings(),
        contextlib.suppress(Exception),
    ):
        warnings.simplefilter("ignore")
        preload_dlls(cuda=True, cudnn=True, msvc=True, directory="")


def preload(
    device: str = "cuda", sites: Iterable[Path | str] | None = None, loader: Loader = system_loader
) -> LibraryReport:
    """Load the libraries ``device`` needs from NVIDIA's wheels into this process (once), then report.

    Call it before creating a CUDA or TensorRT session: ONNX Runtime then finds them already loaded by
    their names. Does nothing to libraries that only the system has (the loader finds those itself), and
    nothing without the NVIDIA driver (no GPU session can start, and ``--device auto`` on a CPU machine
    should not map a gigabyte of CUDA libraries).
    """
    sites = None if sites is None else [Path(s) for s in sites]
    with _lock:
        report = find_libraries(device, sites, loader=loader)
        in_wheels = [f for f in report.libraries if f.source == "wheel"]
        key = (device, None if sites is None else tuple(sites))
        if key in _preloaded or not in_wheels or not report.driver.found:
            return report
        if not _preloaded:  # the first device to load: ONNX Runtime's own preload, once per process
            _onnxruntime_preload()
        _preloaded.add(key)
        for f in in_wheels:  # dependencies first; loading one that is loaded already is a no-op
            assert f.path is not None
            if sys.platform.startswith("win"):
                with contextlib.suppress(OSError, AttributeError):
                    os.add_dll_directory(os.path.dirname(f.path))
            try:
                ctypes.CDLL(f.path)
            except OSError as exc:
                _load_errors[f.path] = first_line(exc)
        return find_libraries(device, sites, loader=loader, driver=report.driver)
