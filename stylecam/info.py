"""``stylecam info``: versions, devices, GPU libraries, cameras and display of this machine, as a dict.

Example:
    >>> info, gpu = system_info()  # doctest: +SKIP
    >>> print("\n".join(info_lines(info, gpu)))  # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

from . import __version__
from .errors import StylecamError
from .models import cpu_has_int8_dot


def system_info() -> tuple[dict[str, Any], Any]:
    """What ``stylecam info`` reports, and the GPU library search (``None`` without a CUDA provider).

    Every device is tried with the default style, so ``devices`` says what really works here.
    """
    import cv2
    import onnxruntime as ort

    from .engine import cpu_int8_kind, create_session
    from .gpu_libraries import find_libraries
    from .models import default_model, search_dirs
    from .providers import AUTO_ORDER

    info: dict = {
        "stylecam": __version__,
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "onnxruntime": ort.__version__,
        "cpu_count": os.cpu_count(),
        "cpu_int8_dot": cpu_has_int8_dot(),
        # dot (VNNI/AMX/Arm dot product) or avx2: --precision auto runs int8 (avx2: 7-bit files); none: fp32
        "cpu_int8": cpu_int8_kind(),
    }
    try:
        import av

        info["pyav"] = av.__version__
    except ImportError:
        info["pyav"] = None
    info["providers_available"] = ort.get_available_providers()
    working: dict[str, str] = {}
    try:
        model = default_model()
        for dev in AUTO_ORDER:
            try:
                create_session(model.path, dev)
                working[dev] = "works"
            except StylecamError as exc:
                working[dev] = exc.message
    except StylecamError as exc:
        working["note"] = exc.message
    info["devices"] = working
    # where each NVIDIA library was found (a wheel, the system) or that it is missing, and what fixes it
    gpu = None
    if "CUDAExecutionProvider" in info["providers_available"]:
        gpu = find_libraries("tensorrt")  # the CUDA libraries, TensorRT's and the driver
        cuda = find_libraries("cuda", driver=gpu.driver)
        info["gpu_libraries"] = gpu.as_dict()
        info["gpu_fix"] = {
            "cuda": cuda.fix() or "nothing missing",
            "tensorrt": gpu.fix() or "nothing missing",
        }
    else:
        info["gpu_libraries"] = (
            "this onnxruntime build has no CUDA provider (onnxruntime-gpu: Linux, Windows x86_64)"
        )
    try:
        from .camera import list_cameras

        info["cameras"] = list_cameras()
    except ImportError:
        info["cameras"] = []
    from .window import has_display

    info["display"] = has_display()
    info["model_dirs"] = [str(d) for d, _ in search_dirs()]
    return info, gpu


def info_lines(info: dict[str, Any], gpu: Any = None) -> list[str]:
    """``info`` as the lines ``stylecam info`` prints (``gpu``: the GPU library search, listed in full)."""
    out: list[str] = []
    for k, v in info.items():
        if k == "gpu_libraries" and gpu is not None:
            out.append(f"gpu_libraries (onnxruntime-gpu built for CUDA {gpu.cuda_major}):")
            out.extend(f"  {line}" for line in gpu.lines())
        elif isinstance(v, dict):
            out.append(f"{k}:")
            out.extend(f"  {kk:<9} {vv}" for kk, vv in v.items())
        elif isinstance(v, list):
            out.append(f"{k}: {', '.join(map(str, v)) if v else '-'}")
        else:
            out.append(f"{k}: {v}")
    return out
