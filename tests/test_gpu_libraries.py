"""The NVIDIA-library search and its messages, on fake wheel layouts: no GPU, no driver, no network needed.

One test runs the real search on this machine (when the CUDA wheels are there and the driver is not), and
the ``slow`` one checks that ``pip install --dry-run -e ".[cuda]"`` resolves (skipped without the index).
"""

from __future__ import annotations

import json
import platform
import re
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import cv2
import numpy as np
import pytest
from conftest import make_model

from stylecam import cli, engine, gpu_libraries
from stylecam.errors import DeviceError
from stylecam.gpu_libraries import (
    CUDA_EXTRA,
    TENSORRT_EXTRA,
    Driver,
    find_driver,
    find_libraries,
    libraries,
)

REPO = Path(__file__).resolve().parents[1]

# the CUDA 13 wheels as pip lays them out (one shared folder) and who owns each file
CUDA13_WHEELS = {
    ("nvidia-cuda-runtime", "13.0.96"): ["nvidia/cu13/lib/libcudart.so.13"],
    ("nvidia-cublas", "13.1.0.3"): ["nvidia/cu13/lib/libcublasLt.so.13", "nvidia/cu13/lib/libcublas.so.13"],
    ("nvidia-curand", "10.4.0.35"): ["nvidia/cu13/lib/libcurand.so.10"],
    ("nvidia-cufft", "12.0.0.61"): ["nvidia/cu13/lib/libcufft.so.12"],
    ("nvidia-cuda-nvrtc", "13.0.88"): ["nvidia/cu13/lib/libnvrtc.so.13"],
    ("nvidia-cudnn-cu13", "9.24.0.43"): ["nvidia/cudnn/lib/libcudnn.so.9"],
}
TENSORRT_WHEEL = {
    ("tensorrt-cu13-libs", "10.16.1.11"): [
        "tensorrt_libs/libnvinfer.so.10",
        "tensorrt_libs/libnvonnxparser.so.10",
    ]
}


def fake_wheels(site: Path, wheels: dict[tuple[str, str], list[str]], record: bool = True) -> Path:
    """Files (not real libraries) where the wheels put them, each wheel with a dist-info naming its files."""
    for (name, version), files in wheels.items():
        for rel in files:
            (site / rel).parent.mkdir(parents=True, exist_ok=True)
            (site / rel).write_bytes(b"not a shared library")
        if record:
            info = site / f"{name.replace('-', '_')}-{version}.dist-info"
            info.mkdir(parents=True)
            (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
            (info / "RECORD").write_text("".join(f"{rel},,\n" for rel in files))
    site.mkdir(parents=True, exist_ok=True)
    return site


def system_with(folder: Path, *present: str):
    """A fake system loader that finds only ``present`` (in ``folder``)."""

    def load(name: str) -> str:
        if name in present:
            return str(folder / name)
        raise OSError(f"{name}: cannot open shared object file: No such file or directory")

    return load


def nothing(name: str) -> str:
    raise OSError(f"{name}: cannot open shared object file: No such file or directory")


NO_DRIVER = Driver("libcuda.so.1", None)
DRIVER = Driver("libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1", "580.65.06", (13, 0))


def report(device, site, driver=DRIVER, loader=nothing, platform="linux"):
    return find_libraries(device, [site], platform=platform, loader=loader, cuda_major=13, driver=driver)


# --------------------------------------------------------------------------- the search


def test_cuda13_wheels_are_found_with_the_wheel_that_holds_each_file(tmp_path):
    site = fake_wheels(tmp_path / "site-packages", CUDA13_WHEELS)
    r = report("cuda", site)
    where = {f.library.name: f for f in r.libraries}
    assert list(where) == [
        "libcudart.so.13",
        "libcublasLt.so.13",
        "libcublas.so.13",
        "libcurand.so.10",
        "libcufft.so.12",
        "libnvrtc.so.13",
        "libcudnn.so.9",
    ]  # the runtime before cuBLAS, cuBLASLt before cuBLAS: the order they are loaded in
    assert all(f.source == "wheel" for f in where.values())
    assert where["libcublas.so.13"].wheel == "nvidia-cublas 13.1.0.3"
    assert where["libcudnn.so.9"].wheel == "nvidia-cudnn-cu13 9.24.0.43"
    assert where["libcublas.so.13"].path == str(site / "nvidia/cu13/lib/libcublas.so.13")
    assert r.ok and r.problem() is None and r.fix() is None


def test_one_folder_per_library_layout_is_found_too_without_a_dist_info(tmp_path):
    site = tmp_path / "site-packages"
    per_component = {
        ("x", "1"): [
            "nvidia/cuda_runtime/lib/libcudart.so.13",
            "nvidia/cublas/lib/libcublasLt.so.13",
            "nvidia/cublas/lib/libcublas.so.13",
            "nvidia/curand/lib/libcurand.so.10",
            "nvidia/cudnn/lib/libcudnn.so.9",
        ]
    }
    fake_wheels(site, per_component, record=False)
    r = report("cuda", site)
    where = {f.library.name: f for f in r.libraries}
    assert where["libcublas.so.13"].source == "wheel"
    assert where["libcublas.so.13"].path == str(site / "nvidia/cublas/lib/libcublas.so.13")
    assert where["libcublas.so.13"].wheel is None
    assert "unknown package" in where["libcublas.so.13"].describe()
    # cuFFT and NVRTC are only for some operators: their absence does not stop CUDA
    assert (
        where["libcufft.so.12"].source == "missing"
        and where["libcufft.so.12"].describe() == "missing (optional)"
    )
    assert r.ok


def test_a_later_site_folder_and_the_system_loader_fill_in_what_the_first_lacks(tmp_path):
    first = fake_wheels(
        tmp_path / "venv", {("nvidia-cublas", "13.1"): CUDA13_WHEELS[("nvidia-cublas", "13.1.0.3")]}
    )
    user = fake_wheels(tmp_path / "user", {("nvidia-cudnn-cu13", "9.2"): ["nvidia/cudnn/lib/libcudnn.so.9"]})
    system = tmp_path / "usr-lib"
    r = find_libraries(
        "cuda",
        [first, user],
        platform="linux",
        loader=system_with(system, "libcudart.so.13", "libcurand.so.10"),
        cuda_major=13,
        driver=DRIVER,
    )
    where = {f.library.name: f for f in r.libraries}
    assert where["libcudnn.so.9"].source == "wheel" and where["libcudnn.so.9"].path.startswith(str(user))
    assert where["libcudart.so.13"].source == "system"
    assert where["libcudart.so.13"].path == str(system / "libcudart.so.13")
    assert where["libcudart.so.13"].describe() == f"system: {system / 'libcudart.so.13'}"
    assert r.ok


def test_windows_names_and_folders(tmp_path):
    site = tmp_path / "Lib" / "site-packages"
    fake_wheels(
        site,
        {
            ("nvidia-cublas", "13.1"): [
                "nvidia/cu13/bin/x86_64/cublasLt64_13.dll",
                "nvidia/cu13/bin/x86_64/cublas64_13.dll",
            ],
            ("nvidia-cudnn-cu13", "9.2"): ["nvidia/cudnn/bin/cudnn64_9.dll"],
        },
    )
    r = find_libraries("tensorrt", [site], platform="win32", loader=nothing, cuda_major=13)
    where = {f.library.name: f for f in r.libraries}
    assert r.driver.name == "nvcuda.dll" and not r.driver.found
    assert where["cublas64_13.dll"].wheel == "nvidia-cublas 13.1"
    assert where["cudnn64_9.dll"].source == "wheel"
    assert {"cudart64_13.dll", "curand64_10.dll", "nvinfer_10.dll", "nvonnxparser_10.dll"} <= {
        f.library.name for f in r.missing
    }


def test_cuda12_builds_look_for_cuda12_names_in_per_library_folders():
    libs = {lib.name: lib for lib in libraries("cuda", platform="linux", cuda_major=12)}
    assert libs["libcublas.so.12"].dirs == ("nvidia/cublas/lib",)
    assert "libcufft.so.11" in libs
    assert libs["libcudnn.so.9"].dirs == ("nvidia/cudnn/lib",)


def test_driver_from_the_loader_and_the_kernel_module_version_file(tmp_path):
    version = tmp_path / "version"
    version.write_text(
        "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build  (dvs-builder@U16)\n"
        "GCC version:  gcc version 12.3.0\n"
    )
    d = find_driver(
        "linux", system_with(tmp_path, "libcuda.so.1"), version, cuda_version=lambda path: (13, 0)
    )
    assert d.found and d.path == str(tmp_path / "libcuda.so.1")
    assert d.kernel_module == "580.65.06" and d.cuda == (13, 0)
    assert "kernel module 580.65.06" in d.describe() and "supports CUDA 13.0" in d.describe()

    version.write_text(
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\n"
    )
    d = find_driver("linux", nothing, version)
    assert not d.found and d.kernel_module == "535.104.05"
    assert "kernel module 535.104.05 is loaded" in d.describe()
    assert find_driver("linux", nothing, tmp_path / "absent").describe() == (
        "missing: libcuda.so.1 not found, no NVIDIA kernel module loaded"
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's loader")
def test_the_system_loader_reports_the_file_it_loaded():
    path = gpu_libraries.system_loader("libm.so.6")
    assert Path(path).name == "libm.so.6" and Path(path).is_file()
    with pytest.raises(OSError):
        gpu_libraries.system_loader("libstylecam-does-not-exist.so.1")


# --------------------------------------------------------------------------- what it says


def test_only_the_driver_missing(tmp_path):
    r = report("cuda", fake_wheels(tmp_path / "site", CUDA13_WHEELS), driver=NO_DRIVER)
    assert not r.ok and r.missing == []
    assert r.problem() == (
        "only the NVIDIA driver is missing (libcuda.so.1 not found; the CUDA 13 libraries are installed)"
    )
    assert r.fix() == "install the NVIDIA driver (580 or newer)"


def test_libraries_missing_with_a_driver_give_the_cuda_extra(tmp_path):
    r = report("cuda", tmp_path / "empty")
    assert r.problem() == (
        "missing the CUDA runtime (libcudart.so.13), cuBLASLt (libcublasLt.so.13), cuBLAS (libcublas.so.13), "
        "cuRAND (libcurand.so.10), cuDNN 9 (libcudnn.so.9)"
    )
    assert r.fix() == CUDA_EXTRA == 'pip install "stylecam[cuda]"'


def test_nothing_at_all_gives_the_driver_and_the_extra(tmp_path):
    r = report("cuda", tmp_path / "empty", driver=NO_DRIVER)
    assert r.problem().startswith(
        "missing the NVIDIA driver (libcuda.so.1), the CUDA runtime (libcudart.so.13)"
    )
    assert r.fix() == 'install the NVIDIA driver (580 or newer) and pip install "stylecam[cuda]"'


def test_tensorrt_missing_on_top_of_working_cuda_gives_the_tensorrt_extra(tmp_path):
    site = fake_wheels(tmp_path / "site", CUDA13_WHEELS)
    assert report("cuda", site).ok
    r = report("tensorrt", site)
    assert (
        r.problem()
        == "missing TensorRT 10 (libnvinfer.so.10), TensorRT's ONNX parser (libnvonnxparser.so.10)"
    )
    assert r.fix() == TENSORRT_EXTRA
    assert "--extra-index-url https://pypi.nvidia.com" in TENSORRT_EXTRA
    fake_wheels(site, TENSORRT_WHEEL)
    r = report("tensorrt", site)
    assert (
        r.ok
        and {f.library.name: f.wheel for f in r.libraries}["libnvinfer.so.10"]
        == "tensorrt-cu13-libs 10.16.1.11"
    )
    assert report("tensorrt", site, driver=NO_DRIVER).problem() == (
        "only the NVIDIA driver is missing (libcuda.so.1 not found; "
        "the CUDA 13 and TensorRT 10 libraries are installed)"
    )


def test_a_driver_too_old_for_cuda13(tmp_path):
    old = Driver("libcuda.so.1", "/usr/lib/libcuda.so.1", "535.104.05", (12, 2))
    r = report("cuda", fake_wheels(tmp_path / "site", CUDA13_WHEELS), driver=old)
    assert not r.ok
    assert r.problem() == "the NVIDIA driver 535.104.05 runs CUDA 12.2 at most; ONNX Runtime needs CUDA 13"
    assert r.fix() == "update the NVIDIA driver (580 or newer)"


def test_report_lines_and_json(tmp_path):
    r = report("tensorrt", fake_wheels(tmp_path / "site", CUDA13_WHEELS), driver=NO_DRIVER)
    lines = r.lines()
    assert len(lines) == 1 + len(r.libraries)
    assert re.match(r"libcuda\.so\.1 +missing: libcuda\.so\.1 not found", lines[0])
    assert any(
        re.match(r"libcublas\.so\.13 +wheel nvidia-cublas 13\.1\.0\.3: .*libcublas\.so\.13$", ln)
        for ln in lines
    )
    assert any(re.match(r"libnvinfer\.so\.10 +missing$", ln) for ln in lines)
    d = json.loads(json.dumps(r.as_dict()))
    assert d["driver"]["path"] is None
    assert d["libraries"]["libcudnn.so.9"]["wheel"] == "nvidia-cudnn-cu13 9.24.0.43"
    assert d["libraries"]["libnvinfer.so.10"]["source"] == "missing"
    assert d["fix"] == f"install the NVIDIA driver (580 or newer) and {TENSORRT_EXTRA}"


# --------------------------------------------------------------------------- loading


def test_preload_loads_wheels_once_records_what_does_not_load_and_skips_without_a_driver(
    tmp_path, monkeypatch
):
    calls = []
    monkeypatch.setattr(gpu_libraries, "_onnxruntime_preload", lambda: calls.append("ort"))
    monkeypatch.setattr(gpu_libraries, "_preloaded", set())
    monkeypatch.setattr(gpu_libraries, "_load_errors", {})
    site = fake_wheels(tmp_path / "site", CUDA13_WHEELS)

    # no driver: nothing is loaded (a CPU machine with the wheels must not map them for --device auto)
    r = gpu_libraries.preload("cuda", [site], loader=nothing)
    assert calls == [] and gpu_libraries._load_errors == {}
    assert r.problem().startswith("only the NVIDIA driver is missing")

    with_driver = system_with(tmp_path, "libcuda.so.1")
    r = gpu_libraries.preload("cuda", [site], loader=with_driver)
    assert calls == ["ort"]  # onnxruntime.preload_dlls() first, then each file by its path
    broken = {f.library.name: f.error for f in r.libraries if f.error}
    assert set(broken) == {
        lib.name for lib in libraries("cuda", cuda_major=13)
    }  # our files are not libraries
    assert not r.ok and "libcublas.so.13 does not load (" in r.problem()
    assert r.fix() == 'pip install --force-reinstall "stylecam[cuda]"'

    gpu_libraries.preload("cuda", [site], loader=with_driver)
    gpu_libraries.preload("tensorrt", [site], loader=with_driver)
    assert calls == ["ort"]  # once per process


def test_onnxruntime_preload_is_called_as_documented(monkeypatch, capsys):
    ort = pytest.importorskip("onnxruntime")
    seen = {}

    def fake_preload_dlls(**kwargs):
        seen.update(kwargs)
        print("Failed to load libcudnn.so.9")  # what ONNX Runtime prints for what it does not find

    monkeypatch.setattr(ort, "preload_dlls", fake_preload_dlls, raising=False)
    gpu_libraries._onnxruntime_preload()
    assert seen == {"cuda": True, "cudnn": True, "msvc": True, "directory": ""}
    assert capsys.readouterr().out == ""  # the report says it, not ONNX Runtime's prints


def test_the_search_and_preload_never_import_torch(tmp_path):
    code = (
        "import sys\n"
        "from stylecam import gpu_libraries as g\n"
        "g.preload('tensorrt'); g.find_libraries('cuda')\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


# --------------------------------------------------------------------------- engine and command line


@pytest.fixture
def cuda_wheels_no_driver(tmp_path, monkeypatch):
    """This process sees the CUDA 13 wheels (a fake layout), no TensorRT, no driver, and a GPU onnxruntime."""
    ort = pytest.importorskip("onnxruntime")
    site = fake_wheels(tmp_path / "site-packages", CUDA13_WHEELS)

    def fake_find(device="cuda", sites=None, platform=None, loader=None, cuda_major=None, driver=None):
        return find_libraries(device, [site], "linux", nothing, 13, driver or NO_DRIVER)

    monkeypatch.setattr(gpu_libraries, "find_libraries", fake_find)
    monkeypatch.setattr(
        gpu_libraries, "preload", lambda device="cuda", sites=None, loader=None: fake_find(device)
    )
    providers = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    monkeypatch.setattr(ort, "get_available_providers", lambda: providers)
    return site


def test_explicit_cuda_says_the_driver_is_the_only_thing_missing(cuda_wheels_no_driver, tmp_path):
    model = make_model(tmp_path / "m.onnx")
    with pytest.raises(DeviceError) as err:
        engine.create_session(model, "cuda")
    assert err.value.message == (
        "--device cuda is not available (cuda: only the NVIDIA driver is missing "
        "(libcuda.so.1 not found; the CUDA 13 libraries are installed))"
    )
    assert err.value.hint == "install the NVIDIA driver (580 or newer), or use --device cpu"
    with pytest.raises(DeviceError) as err:
        engine.create_session(model, "tensorrt")
    assert err.value.hint == (
        f"install the NVIDIA driver (580 or newer) and {TENSORRT_EXTRA}, or use --device cuda or --device cpu"
    )


def test_auto_falls_back_to_the_cpu_and_says_why(cuda_wheels_no_driver, tmp_path):
    _, rep = engine.create_session(make_model(tmp_path / "m.onnx"), "auto")
    assert rep.device == "cpu"
    assert dict(rep.tried)["cuda"].startswith("only the NVIDIA driver is missing")
    assert "TensorRT 10 (libnvinfer.so.10)" in dict(rep.tried)["tensorrt"]


def test_command_line_device_cuda_is_one_line_on_stderr(cuda_wheels_no_driver, tmp_path, capsys):
    image = tmp_path / "in.png"
    cv2.imwrite(str(image), np.full((24, 32, 3), 128, np.uint8))
    model = make_model(tmp_path / "m.onnx")
    rc = cli.main(
        ["image", str(image), "-o", str(tmp_path / "out.png"), "--style", str(model), "--device", "cuda"]
    )
    err = capsys.readouterr().err
    assert rc == 3
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("stylecam: error: --device cuda is not available")
    assert "only the NVIDIA driver is missing" in err and "install the NVIDIA driver (580 or newer)" in err
    assert not (tmp_path / "out.png").exists()


def test_info_shows_each_library_where_it_was_found_and_the_fix(cuda_wheels_no_driver, capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert "gpu_libraries (onnxruntime-gpu built for CUDA 13):" in out
    assert re.search(r"^  libcuda\.so\.1 +missing: libcuda\.so\.1 not found", out, re.M)
    site = cuda_wheels_no_driver
    assert re.search(
        rf"^  libcublas\.so\.13 +wheel nvidia-cublas 13\.1\.0\.3: {re.escape(str(site))}", out, re.M
    )
    assert re.search(r"^  libnvinfer\.so\.10 +missing$", out, re.M)
    assert re.search(r"^  cuda +install the NVIDIA driver \(580 or newer\)$", out, re.M)
    assert re.search(
        r"^  tensorrt +install the NVIDIA driver \(580 or newer\) and pip install --extra-index", out, re.M
    )
    assert re.search(
        r"^  cuda +--device cuda is not available \(cuda: only the NVIDIA driver is missing", out, re.M
    )

    assert cli.main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["gpu_libraries"]["libraries"]["libcudnn.so.9"]["source"] == "wheel"
    assert info["gpu_libraries"]["driver"]["path"] is None
    assert info["gpu_fix"] == {
        "cuda": "install the NVIDIA driver (580 or newer)",
        "tensorrt": f"install the NVIDIA driver (580 or newer) and {TENSORRT_EXTRA}",
    }


def test_this_machine_with_the_cuda_wheels_and_no_driver(tmp_path):
    """Unfaked: where the CUDA wheels are installed and no driver is, --device cuda names the driver alone."""
    ort = pytest.importorskip("onnxruntime")
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("this onnxruntime build has no CUDA provider")
    real = find_libraries("cuda")
    if real.driver.found:
        pytest.skip(f"an NVIDIA driver is installed here ({real.driver.path})")
    if real.missing:
        pytest.skip(f"the cuda extra is not installed here ({real.problem()})")
    image = tmp_path / "in.png"
    cv2.imwrite(str(image), np.full((24, 32, 3), 128, np.uint8))
    args = [
        "image",
        str(image),
        "-o",
        str(tmp_path / "o.png"),
        "--style",
        str(make_model(tmp_path / "m.onnx")),
    ]
    out = subprocess.run(
        [sys.executable, "-m", "stylecam", *args, "--device", "cuda"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 3, out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "only the NVIDIA driver is missing" in out.stderr
    assert "install the NVIDIA driver (580 or newer), or use --device cpu" in out.stderr


# --------------------------------------------------------------------------- the extra resolves


def _reachable(url: str) -> bool:
    host = urlparse(url).hostname or ""
    try:
        socket.create_connection((host, 443), timeout=5).close()
    except OSError:
        return False
    return True


def _index_url() -> str:
    out = subprocess.run(
        [sys.executable, "-m", "pip", "config", "get", "global.index-url"], capture_output=True, text=True
    )
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "https://pypi.org/simple"


@pytest.mark.slow
@pytest.mark.parametrize("extra", ["cuda", "tensorrt"])
def test_pip_resolves_the_gpu_extras(extra, tmp_path):
    """``pip install --dry-run -e ".[cuda]"`` resolves, and brings what ONNX Runtime's CUDA provider loads.

    Packages already in this environment satisfy the requirements without a download; the rest are
    fetched (pip downloads wheels that lack separate metadata even in a dry run, up to 1.3 GB here).
    """
    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    index = _index_url()
    if not _reachable(index):
        pytest.skip(f"network: pip's index {urlparse(index).hostname} cannot be reached")
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--quiet",
        "--report",
        str(tmp_path / "r.json"),
    ]
    if extra == "tensorrt":
        # TensorRT's wheels are on NVIDIA's index; PyPI has only stubs that fetch from there
        if not _reachable("https://pypi.nvidia.com"):
            pytest.skip("network: pypi.nvidia.com (TensorRT's wheels) cannot be reached")
        cmd += ["--extra-index-url", "https://pypi.nvidia.com"]
    out = subprocess.run([*cmd, "-e", f"{REPO}[{extra}]"], capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stderr[-3000:]
    planned = {
        i["metadata"]["name"].lower(): i["metadata"]
        for i in json.loads((tmp_path / "r.json").read_text())["install"]
    }

    def requirements(requires_dist: list[str], extras: set[str]) -> list[Requirement]:
        """The requirements that ``extras`` add on this platform (not those of the plain install)."""
        env = default_environment()
        out = []
        for req in map(Requirement, requires_dist):
            if req.marker is None or req.marker.evaluate({**env, "extra": ""}):
                continue
            if any(req.marker.evaluate({**env, "extra": e}) for e in extras):
                out.append(req)
        return out

    def version_of(name: str) -> str | None:
        if name.lower() in planned:
            return planned[name.lower()]["version"]
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version(name)
        except PackageNotFoundError:
            return None

    def requires_of(name: str) -> list[str]:
        if name.lower() in planned:
            return planned[name.lower()].get("requires_dist", [])
        from importlib.metadata import requires

        return requires(name) or []

    # what the extra adds, then the extras of onnxruntime-gpu it names: each resolved to a version that fits
    resolved: dict[str, str] = {}
    todo = requirements(planned["stylecam"]["requires_dist"], {extra})
    while todo:
        req = todo.pop()
        got = version_of(req.name)
        assert got is not None and req.specifier.contains(got, prereleases=True), f"{req} resolved to {got}"
        resolved[req.name.lower()] = got
        if req.extras:
            todo += requirements(requires_of(req.name), set(req.extras))
    gpu_machine = platform.system() in ("Linux", "Windows") and platform.machine() in ("x86_64", "AMD64")
    expected = {
        "nvidia-cublas",
        "nvidia-cudnn-cu13",
        "nvidia-cuda-runtime",
        "nvidia-curand",
        "onnxruntime-gpu",
    }
    if extra == "tensorrt":
        expected.add("tensorrt-cu13-libs")
    if gpu_machine:
        assert expected <= set(resolved), sorted(resolved)
        assert resolved["nvidia-cudnn-cu13"].startswith("9.") and resolved["nvidia-cublas"].startswith("13.")
    else:  # no onnxruntime-gpu here: the extra adds nothing
        assert not resolved, resolved


def test_the_provider_records_say_what_is_missing(cuda_wheels_no_driver):
    from stylecam.providers import PROVIDERS

    assert PROVIDERS["cuda"].missing()[0].startswith("the NVIDIA driver")
    assert any("TensorRT 10" in m for m in PROVIDERS["tensorrt"].missing())
