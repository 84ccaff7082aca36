"""The pure-Python safetensors reader/writer and the key mapping (no torch needed)."""
import json
import struct

import pytest

from modelgit import ArtifactError, LoadPlanError
from modelgit.keymap import key_mapping
from modelgit.safetensors import RawTensor, read_header, read_safetensors, save_safetensors


def write_by_hand(path, tensors, metadata=None, cut=0):
    """A safetensors file built byte by byte, independently of the writer under test."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, fmt, values) in tensors.items():
        data = struct.pack("<%d%s" % (len(values), fmt), *values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    text = json.dumps(header).encode()
    raw = struct.pack("<Q", len(text)) + text + b"".join(blobs)
    path.write_bytes(raw[:len(raw) - cut] if cut else raw)
    return path


TENSORS = {
    "a.weight": ("F32", [2, 3], "f", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    "b.bias": ("F16", [2], "e", [0.5, -1.5]),
    "c.ids": ("I64", [3], "q", [1, -2, 3]),
}


def test_reads_a_file_written_by_hand(tmp_path):
    p = write_by_hand(tmp_path / "m.safetensors", TENSORS, metadata={"format": "pt"})
    t = read_safetensors(p, framework="python")
    assert list(t) == ["a.weight", "b.bias", "c.ids"]
    assert t["a.weight"].tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert t["b.bias"].tolist() == [0.5, -1.5] and t["c.ids"].tolist() == [1, -2, 3]
    h = read_header(p)
    assert h.metadata == {"format": "pt"} and h.tensors["a.weight"].shape == (2, 3)


def test_round_trip_of_the_writer(tmp_path):
    src = {"x": RawTensor.from_values("BF16", [2], [1.0, -2.5]), "y": RawTensor.from_values("F32", [1, 2], [0.25, 8.0]),
           "z": RawTensor.from_values("BOOL", [2], [True, False]), "e": RawTensor.from_values("F32", [0, 4], [])}
    p = save_safetensors(src, tmp_path / "rt.safetensors", metadata={"k": "v"})
    back = read_safetensors(p, framework="python")
    assert back["x"].tolist() == [1.0, -2.5] and back["y"].tolist() == [[0.25, 8.0]] and back["z"].tolist() == [True, False]
    assert back["e"].shape == (0, 4)
    assert (8 + read_header(p).header_length) % 8 == 0  # tensor data starts 8-byte aligned


@pytest.mark.parametrize("cut,expect", [(4, "truncated safetensors file: tensor"), (10_000, "truncated safetensors file")])
def test_a_truncated_file_is_refused(tmp_path, cut, expect):
    p = write_by_hand(tmp_path / "t.safetensors", TENSORS)
    cut = min(cut, p.stat().st_size - 3)
    write_by_hand(p, TENSORS, cut=cut)
    with pytest.raises(ArtifactError) as e:
        read_safetensors(p, framework="python")
    assert expect in e.value.message and str(p) in e.value.message


def test_bad_headers_are_refused(tmp_path):
    p = tmp_path / "bad.safetensors"
    p.write_bytes(struct.pack("<Q", 5) + b"{nope")
    with pytest.raises(ArtifactError, match="not JSON"):
        read_safetensors(p)
    p.write_bytes(struct.pack("<Q", 10**12) + b"{}")
    with pytest.raises(ArtifactError, match="out of range"):
        read_safetensors(p)
    text = json.dumps({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}).encode()
    p.write_bytes(struct.pack("<Q", len(text)) + text + b"\0" * 8)
    with pytest.raises(ArtifactError, match="should take 12 bytes"):
        read_safetensors(p)


def test_key_mapping_as_the_cli_applies_it():
    m = {"remove_prefix": "base_model.", "add_prefix": "model.", "key_transforms": {"c_fc": "fc_in", "h.": "layers."}}
    assert key_mapping(["base_model.h.0.c_fc.weight"], m) == [("base_model.h.0.c_fc.weight", "model.layers.0.fc_in.weight")]
    with pytest.raises(LoadPlanError, match="does not match 1 of 2"):
        key_mapping(["base_model.a", "other.b"], {"remove_prefix": "base_model."})
    with pytest.raises(LoadPlanError, match="all map to"):
        key_mapping(["a.x", "b.x"], {"key_transforms": {"a.": "", "b.": ""}})
    assert key_mapping(["k"], None) == [("k", "k")]
