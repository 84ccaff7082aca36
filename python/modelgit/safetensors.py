"""The safetensors format, read and written in pure Python (struct + json; no network, no package).

A file is 8 bytes of little-endian u64 header length N, N bytes of JSON
``{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}}``, then the tensor
bytes. The reader applies the same checks as the CLI's (src/loading/safetensors.ts): a header that
does not parse, a tensor whose byte count does not match its dtype and shape, or offsets past the
end of the file (a truncated download) is an ArtifactError naming the file. Tensors come back as
torch tensors when torch is importable (and asked for), else as ``RawTensor`` (dtype, shape, bytes).
"""
from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from .errors import ArtifactError, UsageError

MAX_HEADER_BYTES = 100_000_000

DTYPE_BYTES: Dict[str, int] = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E4M3FN": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8,
}
# struct formats (little-endian) for the dtypes plain Python can decode; BF16 is decoded by hand.
_STRUCT: Dict[str, str] = {"BOOL": "?", "U8": "B", "I8": "b", "I16": "h", "U16": "H", "F16": "e", "I32": "i",
                           "U32": "I", "F32": "f", "I64": "q", "U64": "Q", "F64": "d"}


def _torch_dtypes() -> Dict[str, Any]:
    import torch
    table = {"BOOL": torch.bool, "U8": torch.uint8, "I8": torch.int8, "I16": torch.int16, "F16": torch.float16,
             "BF16": torch.bfloat16, "I32": torch.int32, "F32": torch.float32, "I64": torch.int64, "F64": torch.float64}
    for name, attr in (("F8_E5M2", "float8_e5m2"), ("F8_E4M3FN", "float8_e4m3fn"), ("U16", "uint16"),
                       ("U32", "uint32"), ("U64", "uint64")):
        if hasattr(torch, attr):
            table[name] = getattr(torch, attr)
    return table


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _numel(shape: Iterable[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


@dataclass
class RawTensor:
    """A tensor without a framework: its dtype name (safetensors'), shape and little-endian bytes."""

    dtype: str
    shape: Tuple[int, ...]
    data: bytes

    @property
    def numel(self) -> int:
        return _numel(self.shape)

    def flat(self) -> List[Any]:
        if self.dtype == "BF16":
            halves = struct.unpack(f"<{self.numel}H", self.data)
            return [struct.unpack("<f", struct.pack("<I", h << 16))[0] for h in halves]
        fmt = _STRUCT.get(self.dtype)
        if fmt is None:
            raise UsageError(f"RawTensor: dtype {self.dtype} cannot be decoded without torch")
        return list(struct.unpack(f"<{self.numel}{fmt}", self.data))

    def tolist(self) -> Any:
        values = self.flat()
        for d in reversed(self.shape[1:]):
            values = [values[i:i + d] for i in range(0, len(values), d)]
        return values if self.shape else values[0]

    def to_torch(self) -> Any:
        import torch
        table = _torch_dtypes()
        if self.dtype not in table:
            raise ArtifactError(f"dtype {self.dtype} has no torch counterpart in torch {torch.__version__}")
        if self.numel == 0:
            return torch.empty(self.shape, dtype=table[self.dtype])
        # A copy of the bytes: the tensor owns its memory and outlives the file's buffer.
        return torch.frombuffer(bytearray(self.data), dtype=table[self.dtype]).reshape(self.shape)

    @classmethod
    def from_values(cls, dtype: str, shape: Iterable[int], values: Iterable[Any]) -> "RawTensor":
        shape = tuple(int(d) for d in shape)
        vals = list(values)
        if len(vals) != _numel(shape):
            raise UsageError(f"RawTensor.from_values: {len(vals)} values for shape {list(shape)}")
        if dtype == "BF16":
            data = b"".join(struct.pack("<H", struct.unpack("<I", struct.pack("<f", v))[0] >> 16) for v in vals)
        elif dtype in _STRUCT:
            data = struct.pack(f"<{len(vals)}{_STRUCT[dtype]}", *vals)
        else:
            raise UsageError(f"RawTensor.from_values: unsupported dtype {dtype}")
        return cls(dtype, shape, data)


@dataclass
class TensorInfo:
    dtype: str
    shape: Tuple[int, ...]
    data_offsets: Tuple[int, int]


@dataclass
class Header:
    header_length: int
    tensors: Dict[str, TensorInfo]
    metadata: Optional[Dict[str, str]]
    data_bytes: int


def parse_header(name: str, prefix: bytes, file_size: int) -> Header:
    """Checks the header in ``prefix`` (the file's first bytes: at least 8 + N) against ``file_size``."""
    def bad(why: str) -> ArtifactError:
        return ArtifactError(f"{name}: not a valid safetensors file: {why}")

    if len(prefix) < 8 or file_size < 8:
        raise ArtifactError(f"{name}: truncated safetensors file: {file_size} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", prefix[:8])
    if n == 0 or n > MAX_HEADER_BYTES:
        raise bad(f"header length {n} is out of range (1…{MAX_HEADER_BYTES})")
    if 8 + n > file_size:
        raise ArtifactError(f"{name}: truncated safetensors file: the header says {n} bytes of JSON but only "
                            f"{file_size - 8} bytes follow", hint="the download or copy was cut short; fetch the file again")
    try:
        value = json.loads(bytes(prefix[8:8 + n]).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise bad(f"the {n}-byte header is not JSON ({e})") from None
    if not isinstance(value, dict):
        raise bad("the header is not a JSON object")
    data_bytes = file_size - 8 - n
    tensors: Dict[str, TensorInfo] = {}
    metadata: Optional[Dict[str, str]] = None
    for key, info in value.items():
        if key == "__metadata__":
            if not isinstance(info, dict):
                raise bad('"__metadata__" must be an object of strings')
            metadata = info
            continue
        if not isinstance(info, dict) or not isinstance(info.get("dtype"), str) or not isinstance(info.get("shape"), list) \
                or not isinstance(info.get("data_offsets"), list):
            raise bad(f'tensor {json.dumps(key)} needs "dtype", "shape" and "data_offsets"')
        shape = info["shape"]
        if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
            raise bad(f"tensor {json.dumps(key)} has a bad shape {json.dumps(shape)}")
        offs = info["data_offsets"]
        if len(offs) != 2 or not all(isinstance(o, int) and not isinstance(o, bool) for o in offs) or offs[0] < 0 or offs[1] < offs[0]:
            raise bad(f"tensor {json.dumps(key)} has bad data_offsets {json.dumps(offs)}")
        size = DTYPE_BYTES.get(info["dtype"])
        if size is not None and offs[1] - offs[0] != size * _numel(shape):
            raise bad(f"tensor {json.dumps(key)} ({info['dtype']} {json.dumps(shape)}) should take {size * _numel(shape)} "
                      f"bytes but data_offsets give {offs[1] - offs[0]}")
        if offs[1] > data_bytes:
            raise ArtifactError(
                f"{name}: truncated safetensors file: tensor {json.dumps(key)} ends at byte {offs[1]} of the data, but the "
                f"file holds only {data_bytes} data bytes ({file_size} bytes in all)",
                hint="the download or copy was cut short; fetch the file again")
        tensors[key] = TensorInfo(info["dtype"], tuple(shape), (offs[0], offs[1]))
    return Header(n, tensors, metadata, data_bytes)


def read_header(path: "str | os.PathLike[str]") -> Header:
    """The header of a file, reading only its 8 + N header bytes."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            first = f.read(8)
            if len(first) == 8:
                (n,) = struct.unpack("<Q", first)
                if 0 < n <= MAX_HEADER_BYTES:
                    first += f.read(n)
    except OSError as e:
        raise ArtifactError(f"{path}: cannot open: {e.strerror}") from None
    return parse_header(path, first, size)


def parse_safetensors(data: Union[bytes, bytearray, memoryview], name: str = "<bytes>",
                      framework: str = "auto") -> Dict[str, Any]:
    """Tensors from a whole file's bytes. ``framework``: "auto" (torch when importable), "torch", "python"."""
    view = memoryview(data)
    header = parse_header(name, bytes(view[:8 + min(len(view) - 8, MAX_HEADER_BYTES)]) if len(view) >= 8 else bytes(view),
                          len(view))
    use_torch = framework == "torch" or (framework == "auto" and torch_available())
    if framework not in ("auto", "torch", "python"):
        raise UsageError(f"framework must be auto, torch or python, not {framework!r}")
    base = 8 + header.header_length
    out: Dict[str, Any] = {}
    for key, info in header.tensors.items():
        raw = RawTensor(info.dtype, info.shape, bytes(view[base + info.data_offsets[0]:base + info.data_offsets[1]]))
        if info.dtype not in DTYPE_BYTES:
            raise ArtifactError(f"{name}: tensor {json.dumps(key)} has dtype {info.dtype}, which this reader does not know")
        out[key] = raw.to_torch() if use_torch else raw
    return out


def read_safetensors(path: "str | os.PathLike[str]", framework: str = "auto") -> Dict[str, Any]:
    """Every tensor of a .safetensors file (torch tensors when torch is importable, else RawTensor)."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ArtifactError(f"{path}: cannot open: {e.strerror}") from None
    return parse_safetensors(data, path, framework)


def _tensor_bytes(name: str, t: Any) -> Tuple[str, Tuple[int, ...], bytes]:
    if isinstance(t, RawTensor):
        return t.dtype, tuple(t.shape), bytes(t.data)
    try:
        import torch
    except ImportError:
        torch = None  # type: ignore[assignment]
    if torch is not None and isinstance(t, torch.Tensor):
        names = {v: k for k, v in _torch_dtypes().items()}
        dtype = names.get(t.dtype)
        if dtype is None:
            raise UsageError(f"save_safetensors: tensor {name!r} has dtype {t.dtype}, which safetensors does not store")
        c = t.detach().cpu().contiguous()
        if dtype == "BF16":
            c = c.view(torch.int16)
        if dtype == "BOOL":
            c = c.to(torch.uint8)
        return dtype, tuple(c.shape), c.numpy().tobytes()
    raise UsageError(f"save_safetensors: tensor {name!r} is a {type(t).__name__}; give torch tensors or RawTensor")


def save_safetensors(tensors: Mapping[str, Any], path: "str | os.PathLike[str]",
                     metadata: Optional[Mapping[str, str]] = None) -> str:
    """Writes tensors (torch tensors or RawTensor) as a .safetensors file; returns the path."""
    header: Dict[str, Any] = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks: List[bytes] = []
    offset = 0
    for name in tensors:
        dtype, shape, data = _tensor_bytes(name, tensors[name])
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the format pads the header so tensor data is 8-byte aligned
    path = os.fspath(path)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)
    return path
