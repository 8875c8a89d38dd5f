"""The model I/O contract (stylecam.contract): written by export, read by the registry and the engine."""

from __future__ import annotations

from stylecam.contract import DEFAULT, METADATA_KEYS, STYLECAM, IOContract


def test_the_stylecam_contract_is_uint8_nhwc_bgr_and_its_metadata_reads_back():
    meta = STYLECAM.metadata()
    assert meta == {
        "input_layout": "NHWC",
        "input_dtype": "uint8",
        "input_range": "0-255",
        "output_layout": "NHWC",
        "output_range": "0-255",
        "color_order": "BGR",
        "size_multiple": "4",
    }
    assert set(meta) <= set(METADATA_KEYS)
    assert IOContract.from_metadata(meta) == STYLECAM and STYLECAM.native
    assert (STYLECAM.input_name, STYLECAM.output_name, STYLECAM.style_input) == ("frame", "stylized", "style")


def test_omitted_keys_take_the_defaults_and_scales_follow_the_ranges():
    c = IOContract.from_metadata({"color_order": "BGR", "input_range": "0-1", "size_multiple": "x"})
    assert c.bgr and c.input_layout == DEFAULT.input_layout == "NCHW" and not c.native
    assert c.size_multiple == DEFAULT.size_multiple == 4  # a bad value: the default
    assert c.input_scale == 1 / 255.0 and c.output_scale == 1.0
    assert IOContract.from_metadata({"size_multiple": "0"}).size_multiple == 1
    assert IOContract.from_metadata({}) == DEFAULT
