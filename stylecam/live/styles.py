"""The styles a live session cycles through: their networks, loaded when first needed and kept.

A style not used yet can load on a worker thread (:meth:`StyleShelf.start_loading`) while the picture
keeps running with the current one; :meth:`StyleShelf.ready` says when it can be switched to.

Example:
    >>> shelf = StyleShelf(["starry-night", "the-scream"], make_network)  # doctest: +SKIP
    >>> shelf.get(0)  # loads it now (errors are raised here)  # doctest: +SKIP
    >>> shelf.start_loading(1); shelf.ready(1)  # doctest: +SKIP
    False
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..models import ModelInfo
from ..stage import Network, as_network

StyleSpec = str | os.PathLike | ModelInfo
#: ``spec -> network``: a :class:`~stylecam.engine.Stylizer`, or any ``image -> image`` callable
NetworkFactory = Callable[[StyleSpec], Any]


def style_label(spec: StyleSpec) -> str:
    """A style's display name before it is loaded: the model's name, a file's stem, or the name given."""
    if isinstance(spec, ModelInfo):
        return spec.name
    text = str(spec)
    return Path(text).stem if text.endswith(".onnx") or os.sep in text or "/" in text else text


class StyleShelf:
    """The networks of ``styles``, made by ``factory`` when first needed and kept.

    Args:
        styles: names, ``.onnx`` paths or :class:`~stylecam.models.ModelInfo`.
        factory: ``spec -> network``; a plain ``image -> image`` callable is run at the frame's size
            (see :func:`~stylecam.stage.as_network`).
    """

    def __init__(self, styles: Sequence[StyleSpec], factory: NetworkFactory) -> None:
        self.styles = list(styles)
        self.factory = factory
        self._networks: dict[int, Network] = {}
        self._loading: dict[int, Future] = {}
        self._executor: ThreadPoolExecutor | None = None

    def __len__(self) -> int:
        return len(self.styles)

    def _make(self, index: int) -> Network:
        return as_network(self.factory(self.styles[index]))

    def loaded(self, index: int) -> Network | None:
        """The network of style ``index`` if it is loaded, else ``None``."""
        return self._networks.get(index)

    def get(self, index: int) -> Network:
        """The network of style ``index``, loaded now (or the background load waited for) if needed.

        Raises:
            ModelError, DeviceError: the style cannot be loaded.
        """
        net = self._networks.get(index)
        if net is not None:
            return net
        future = self._loading.pop(index, None)
        net = future.result() if future is not None else self._make(index)
        self._networks[index] = net
        return net

    def start_loading(self, index: int) -> None:
        """Load style ``index`` on the worker thread (nothing to do when loaded or loading)."""
        if index in self._networks or index in self._loading:
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stylecam-load")
        self._loading[index] = self._executor.submit(self._make, index)

    def ready(self, index: int) -> bool:
        """Whether :meth:`get` returns at once (loaded, failed, or not being loaded in the background)."""
        future = self._loading.get(index)
        return future is None or future.done()

    def name(self, index: int) -> str:
        """The display name of style ``index``: the loaded network's name, else :func:`style_label`."""
        name = getattr(self._networks.get(index), "name", None)
        return name if isinstance(name, str) and name else style_label(self.styles[index])

    def close(self) -> None:
        """Stop loading (a load in progress is not waited for); safe to call twice."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
