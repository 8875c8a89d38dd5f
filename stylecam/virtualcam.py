"""The virtual-camera sink, kept as a name for older imports: the code is
:mod:`stylecam.sinks.virtualcam`."""

from __future__ import annotations

from .sinks.virtualcam import INSTALL_HINT, VirtualCamSink, setup_hint

__all__ = ["INSTALL_HINT", "VirtualCamSink", "setup_hint"]
