"""Training and export of style networks (the only part of stylecam that imports torch).

Install with ``pip install "stylecam[train]"``. Modules:

- :mod:`.nets`: the ``fast`` and ``quality`` image transformation networks;
- :mod:`.vgg`: the VGG16 loss network;
- :mod:`.losses`: Gram style loss, total variation and the stability term;
- :mod:`.data`: content photos and the style painting;
- :mod:`.train`: the training loop (:func:`.train.train`);
- :mod:`.export`: checkpoint to self-describing ONNX (:func:`.export.export_checkpoint`);
- :mod:`.cli`: ``stylecam train`` and ``stylecam export``.
"""
