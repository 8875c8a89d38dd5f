"""The execution-provider registry (stylecam.providers): one record per provider."""

from __future__ import annotations

from stylecam import providers
from stylecam.providers import AUTO_ORDER, DEVICES, GPU_DEVICES, PROVIDERS


def test_the_registry_names_each_device_once():
    assert DEVICES == ("auto", "tensorrt", "cuda", "cpu")
    assert AUTO_ORDER == ("tensorrt", "cuda", "cpu")
    assert GPU_DEVICES == ("tensorrt", "cuda")
    assert {p.ort_name for p in PROVIDERS.values()} == {
        "TensorrtExecutionProvider",
        "CUDAExecutionProvider",
        "CPUExecutionProvider",
    }


def test_provider_lists_carry_the_options_and_the_fallback_providers(tmp_path, monkeypatch):
    monkeypatch.setattr(providers, "trt_cache_dir", lambda: tmp_path / "trt")
    cuda = {"cudnn_conv_algo_search": "EXHAUSTIVE", "do_copy_in_default_stream": "1"}
    assert PROVIDERS["cpu"].provider_list() == ["CPUExecutionProvider"]
    assert PROVIDERS["cuda"].provider_list() == [("CUDAExecutionProvider", cuda), "CPUExecutionProvider"]
    graph = PROVIDERS["cuda"].provider_list(cuda_graph=True)
    assert graph[0] == ("CUDAExecutionProvider", {**cuda, "enable_cuda_graph": "1"})
    trt = PROVIDERS["tensorrt"].provider_list(cuda_graph=True)  # a CUDA graph is CUDA's alone
    assert [p if isinstance(p, str) else p[0] for p in trt] == [
        "TensorrtExecutionProvider",
        "CUDAExecutionProvider",
        "CPUExecutionProvider",
    ]
    assert trt[0][1]["trt_fp16_enable"] == "1" and trt[0][1]["trt_engine_cache_path"] == str(tmp_path / "trt")
    assert trt[1] == ("CUDAExecutionProvider", cuda)
    assert (tmp_path / "trt").is_dir()


def test_a_missing_provider_says_which_build_lacks_it_and_what_to_install(monkeypatch):
    import onnxruntime as ort

    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    cuda = PROVIDERS["cuda"]
    assert cuda.why_not(["CPUExecutionProvider"]).endswith("has no CUDAExecutionProvider")
    assert cuda.how_to_fix() == (
        'install onnxruntime-gpu (Linux or Windows, x86_64): pip install "stylecam[cuda]", or use --device cpu'
    )
    assert PROVIDERS["tensorrt"].how_to_fix().endswith("or use --device cuda or --device cpu")
    assert PROVIDERS["cpu"].missing() == []
