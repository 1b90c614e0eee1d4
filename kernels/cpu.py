"""The CPU matrix-vector kernel (`cpu_matvec.c`): bf16 or int8 weights, or GGUF blocks as stored,
times 1..8 activation rows.

Built once per machine with the system C compiler (`$CC`, else `cc`) for the host's instruction set
(`-march=native`, OpenMP) into a cache folder, and called through ctypes on the tensors' memory.
The plain-torch reference is `matvec_reference`; tests compare the two.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import torch

SOURCE = Path(__file__).with_name("cpu_matvec.c")
MAX_ROWS = 8  # activation rows one call takes (decode is 1, speculative verification up to this)
L1_FLOATS = 4096  # fp32 activation values (rows x columns) the kernel takes for more than one row
# -ffp-contract=off: a multiply and an add stay two roundings, as gguf's dequantization does them.
FLAGS = ["-O3", "-std=c11", "-fPIC", "-shared", "-fopenmp", "-ffp-contract=off"]
ARCH_FLAGS = (["-march=native"], [])  # the host's vector instructions; plain when the compiler refuses


class CpuKernelError(RuntimeError):
    """No C compiler, or it rejected the source: the CPU kernel cannot be built here."""


class CpuMatvec:
    """y = x @ W.T (+ bias) for bf16 x [n, cols] (n <= 8) and a contiguous bf16 or int8 (with a scale a
    row) W [rows, cols] on the CPU; `handles` says which calls it is the faster choice for."""

    def __init__(self, library: Path):
        self.library = library
        lib = ctypes.CDLL(str(library))
        self._bf16, self._q8 = lib.kog_matvec_bf16, lib.kog_matvec_q8
        self._bf16.argtypes = [ctypes.c_void_p] * 4 + [ctypes.c_int64] * 3
        self._q8.argtypes = [ctypes.c_void_p] * 5 + [ctypes.c_int64] * 3
        self._bf16.restype = self._q8.restype = ctypes.c_int
        self._gguf, self._dequant = lib.kog_matvec_gguf, lib.kog_dequant_gguf
        self._gguf.argtypes = [
            ctypes.c_int,
            ctypes.c_void_p,
            ctypes.c_int64,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        self._gguf.argtypes += [ctypes.c_int64] * 4
        self._dequant.argtypes = [
            ctypes.c_int,
            ctypes.c_void_p,
            ctypes.c_int64,
            ctypes.c_void_p,
            ctypes.c_int64,
        ]
        self._dequant.argtypes += [ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64]
        self._gguf.restype = self._dequant.restype = ctypes.c_int
        self.vector_width = int(lib.kog_matvec_width())

    def handles(self, x: torch.Tensor, weight: torch.Tensor) -> bool:
        """Whether the kernel takes x @ weight.T (weight bf16, or the int8 codes of an int8 matrix)."""
        return (
            weight.dtype in (torch.bfloat16, torch.int8)
            and x.dtype == torch.bfloat16
            and x.device.type == "cpu"
            and x.dim() == 2
            and weight.is_contiguous()
            # Every weight chunk meets every activation row: past ~16 KB of fp32 rows they fall out of
            # L1 and torch's matrix product (oneDNN) is faster; one row always fits the kernel.
            and (x.shape[0] == 1 or (x.shape[0] <= MAX_ROWS and x.shape[0] * x.shape[1] <= L1_FLOATS))
        )

    def __call__(
        self,
        x: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None = None,
        scale: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """bf16 weight, or int8 codes with `scale` (one per row): y = x @ (weight * scale[:, None]).T + bias."""
        rows, cols = weight.shape
        if x.dim() != 2 or x.shape[-1] != cols:
            raise ValueError(f"activations {tuple(x.shape)} do not match the weight's {cols} columns")
        if not 1 <= x.shape[0] <= MAX_ROWS:
            raise ValueError(f"the kernel takes 1..{MAX_ROWS} activation rows, not {x.shape[0]}")
        if weight.dtype not in (torch.bfloat16, torch.int8) or not weight.is_contiguous():
            raise ValueError(f"the kernel reads contiguous bf16 or int8 weights, not {weight.dtype}")
        if weight.device.type != "cpu" or x.device.type != "cpu":
            raise ValueError("the CPU kernel takes CPU tensors")
        if (weight.dtype == torch.int8) != (scale is not None):
            raise ValueError("int8 weights need their row scales, and only they take one")
        # Held in locals until the call returns: the kernel reads their memory.
        x, bias, scale = (_bf16(t) for t in (x, bias, scale))
        out = torch.empty(x.shape[0], rows, dtype=torch.bfloat16)
        tail = (x.data_ptr(), _address(bias), out.data_ptr(), x.shape[0], rows, cols)
        if scale is None:
            status = self._bf16(weight.data_ptr(), *tail)
        else:
            status = self._q8(weight.data_ptr(), scale.data_ptr(), *tail)
        if status != 0:
            raise RuntimeError(f"cpu_matvec failed for {x.shape[0]} rows of {cols} (out of memory?)")
        return out

    def gguf(
        self, x: torch.Tensor, blocks: np.ndarray, qtype: str, cols: int, out: torch.Tensor
    ) -> torch.Tensor:
        """out[:, :rows] = x @ deq(blocks).T for bf16 x [n <= 8, cols] and a matrix of GGUF blocks stored
        as uint8 [rows, bytes_per_row]; out is bf16 [n, >= rows] with unit column stride (a slice of a
        wider output is fine)."""
        rows, bpr = blocks.shape
        _check_blocks(blocks, qtype, cols)
        if x.dtype != torch.bfloat16 or x.dim() != 2 or x.shape[1] != cols or not x.is_contiguous():
            raise ValueError(
                f"activations must be contiguous bf16 [n, {cols}], not {tuple(x.shape)} {x.dtype}"
            )
        if not 1 <= x.shape[0] <= MAX_ROWS:
            raise ValueError(f"the kernel takes 1..{MAX_ROWS} activation rows, not {x.shape[0]}")
        if (
            out.dtype != torch.bfloat16
            or out.shape[0] != x.shape[0]
            or out.shape[1] < rows
            or out.stride(1) != 1
        ):
            raise ValueError("out must be bf16 [n, >= rows] with unit column stride")
        status = self._gguf(
            GGUF_CODES[qtype], blocks.ctypes.data, bpr, x.data_ptr(), out.data_ptr(), out.stride(0),
            x.shape[0], rows, cols,
        )  # fmt: skip
        if status != 0:
            raise RuntimeError(f"cpu gguf matvec failed for {x.shape[0]} rows of {cols} (out of memory?)")
        return out

    def dequantize(
        self, blocks: np.ndarray, qtype: str, cols: int, out: torch.Tensor, ids: torch.Tensor | None = None
    ) -> torch.Tensor:
        """out[r] = row (ids[r] if ids is given, else r) of the matrix, as bf16 (gguf's values, rounded)."""
        _check_blocks(blocks, qtype, cols)
        n = blocks.shape[0] if ids is None else ids.numel()
        if out.dtype != torch.bfloat16 or tuple(out.shape) != (n, cols) or out.stride(1) != 1:
            raise ValueError(f"out must be bf16 [{n}, {cols}]")
        index = None
        if ids is not None:
            index = ids.to(torch.int64).contiguous()
            if n and not (0 <= int(index.min()) and int(index.max()) < blocks.shape[0]):
                raise ValueError("row ids out of range")
        ptr = None if index is None else index.data_ptr()
        status = self._dequant(
            GGUF_CODES[qtype],
            blocks.ctypes.data,
            blocks.shape[1],
            ptr,
            n,
            cols,
            out.data_ptr(),
            out.stride(0),
        )
        if status != 0:
            raise RuntimeError(f"cpu gguf dequantize failed for {qtype} rows of {cols}")
        return out


GGUF_CODES = {"Q8_0": 0, "Q5_0": 1, "Q4_1": 2, "Q4_K": 3, "Q6_K": 4}  # the C side's format numbers


def _check_blocks(blocks: np.ndarray, qtype: str, cols: int) -> None:
    from kog.kernels.quant_reference import quant_format

    if qtype not in GGUF_CODES:
        raise ValueError(f"the CPU kernel reads {', '.join(GGUF_CODES)} blocks, not {qtype}")
    bpr = quant_format(qtype).bytes_per_row(cols)
    if (
        blocks.dtype != np.uint8
        or blocks.ndim != 2
        or blocks.shape[1] != bpr
        or not blocks.flags.c_contiguous
    ):
        raise ValueError(f"{qtype} blocks for {cols} columns must be C-contiguous uint8 [rows, {bpr}]")


def _bf16(t: torch.Tensor | None) -> torch.Tensor | None:
    return None if t is None else t.to(torch.bfloat16).contiguous()


def _address(t: torch.Tensor | None) -> int | None:
    return None if t is None else t.data_ptr()


def matvec_reference(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, scale: torch.Tensor | None = None
) -> torch.Tensor:
    """What the kernel computes, in float32 torch: fp32 accumulation, one rounding to bf16 at the end."""
    y = x.float() @ weight.float().T
    if scale is not None:
        y = y * scale.float()
    if bias is not None:
        y = y + bias.float()
    return y.to(torch.bfloat16)


def _compiler() -> str:
    cc = os.environ.get("CC") or "cc"
    if shutil.which(cc) is None:
        raise CpuKernelError(f"no C compiler found ({cc!r}; set CC or install gcc)")
    return cc


def _cpu_signature() -> str:
    """What -march=native compiles for: the CPU's model and feature flags (a cache shared by machines
    with other CPUs must not hand them this one's build)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return f"{platform.machine()}|{platform.processor()}"
    wanted = [line for line in lines if line.startswith(("model name", "flags", "Features", "CPU part"))]
    return "|".join(sorted(set(wanted))) or platform.machine()


def _library_name(cc: str, arch: list[str]) -> str:
    try:
        version = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as err:
        raise CpuKernelError(f"the C compiler {cc!r} does not run: {err}") from err
    key = "|".join([SOURCE.read_text(), cc, version, *FLAGS, *arch, _cpu_signature()])
    return f"cpu_matvec-{hashlib.sha256(key.encode()).hexdigest()[:16]}.so"


def build_cpu_matvec(cache_dir: Path) -> Path:
    """The compiled library for this machine, built into cache_dir on first use (atomic rename)."""
    cc = _compiler()
    errors = []
    for arch in ARCH_FLAGS:
        target = cache_dir / _library_name(cc, arch)
        if target.exists():
            return target
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".so", dir=cache_dir)
        os.close(fd)
        try:
            done = subprocess.run(
                [cc, *FLAGS, *arch, str(SOURCE), "-o", tmp], capture_output=True, text=True, timeout=300
            )
            if done.returncode == 0:
                os.replace(tmp, target)
                return target
            errors.append(done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"])
        except (OSError, subprocess.SubprocessError) as err:
            errors.append([str(err)])
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    raise CpuKernelError(f"{cc} could not build {SOURCE.name}: {errors[-1][0]}")


def load_cpu_matvec(cache_dir: Path) -> CpuMatvec:
    """Build (once) and load the kernel; CpuKernelError says why when it cannot be."""
    path = build_cpu_matvec(cache_dir)
    try:
        return CpuMatvec(path)
    except OSError as err:
        raise CpuKernelError(f"could not load {path}: {err}") from err
