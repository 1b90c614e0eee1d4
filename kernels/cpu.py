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

SOURCES = tuple(Path(__file__).with_name(n) for n in ("cpu_matvec.c", "cpu_ops.c"))
HEADERS = tuple(Path(__file__).with_name(n) for n in ("cpu_common.h", "cpu_ops_rows.h"))
MAX_ROWS = 8  # activation rows one call takes (decode is 1, speculative verification up to this)
L1_FLOATS = 4096  # fp32 activation values (rows x columns) the kernel takes for more than one row
# -ffp-contract=off: a multiply and an add stay two roundings, as gguf's dequantization does them.
FLAGS = ["-O3", "-std=c11", "-fPIC", "-shared", "-fopenmp", "-ffp-contract=off"]
LIBS = ["-lm"]  # after the sources
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
        self._gguf_parts = lib.kog_matvec_gguf_parts
        self._gguf_parts.argtypes = [ctypes.c_int64] + [ctypes.c_void_p] * 6 + [ctypes.c_int64] * 3
        self._gguf_parts.restype = ctypes.c_int
        self.vector_width = int(lib.kog_matvec_width())
        self._allow = lib.kog_gguf_allow
        self._allow.argtypes, self._allow.restype = [ctypes.c_int, ctypes.c_int], None
        # The block kernel's paths in this build: integer dot products (1; AVX512-VNNI for one or two rows,
        # or AVX2 for any number, which adds 8), bf16 dot products (2), AMX (4).
        self.block_paths = int(lib.kog_gguf_paths())
        self.ops = CpuOps(lib)

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

    def allow(self, vnni: bool = True, amx: bool = True) -> None:
        """Which CPU-specific paths the block kernel may take (integer dot products: AVX512-VNNI's for one
        or two rows, AVX2's for any number; AMX tiles for more); tests take them away to run the others."""
        self._allow(int(vnni), int(amx))

    def stack(self, parts: list[tuple[str, np.ndarray]], cols: int) -> GgufStack:
        """Matrices of GGUF blocks (qtype, uint8 [rows, bytes_per_row]) stacked by rows, bound for
        products through one kernel call each."""
        return GgufStack(self, parts, cols)

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


class CpuOps:
    """The small steps of a decode step around the products (`cpu_ops.c`), for a few rows of bf16 or
    float32 activations; each matches its plain-torch counterpart in the decoder (tests compare
    them)."""

    DTYPES = {torch.bfloat16: "bf16", torch.float32: "f32"}

    def __init__(self, lib: ctypes.CDLL):
        self._norm, self._silu, self._attn = {}, {}, {}
        for dtype, suffix in self.DTYPES.items():
            norm, silu = getattr(lib, "kog_rmsnorm_" + suffix), getattr(lib, "kog_silu_mul_" + suffix)
            attn = getattr(lib, "kog_attention_rows_" + suffix)
            norm.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_float, ctypes.c_void_p]
            norm.argtypes += [ctypes.c_int64] * 2
            silu.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p] + [ctypes.c_int64] * 2
            attn.argtypes = [ctypes.c_void_p, ctypes.c_int64] + [ctypes.c_void_p] * 4 + [ctypes.c_int64] * 6
            attn.argtypes += [ctypes.c_void_p]
            norm.restype = silu.restype = attn.restype = ctypes.c_int
            self._norm[dtype], self._silu[dtype], self._attn[dtype] = norm, silu, attn

    def rmsnorm(self, x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
        """x [n, d] (bf16 or float32), fp32 weight [d] -> rms_norm(x) * weight in x's dtype."""
        _need(x.dtype in self.DTYPES and x.dim() == 2 and x.is_contiguous(), "x: contiguous bf16/fp32 [n, d]")
        _need(weight.dtype == torch.float32 and weight.shape == (x.shape[1],), "weight: fp32 [d]")
        y = torch.empty_like(x)
        _status(self._norm[x.dtype](x.data_ptr(), weight.data_ptr(), eps, y.data_ptr(), *x.shape), "rmsnorm")
        return y

    def silu_mul(self, gate_up: torch.Tensor) -> torch.Tensor:
        """[n, 2f] (gate | up) -> silu(gate) * up [n, f], bf16 or float32."""
        n, two_f = gate_up.shape
        _need(
            gate_up.dtype in self.DTYPES and gate_up.stride(1) == 1 and two_f % 2 == 0,
            "gate_up: bf16/fp32 [n, 2f]",
        )
        y = torch.empty(n, two_f // 2, dtype=gate_up.dtype)
        silu = self._silu[gate_up.dtype]
        _status(silu(gate_up.data_ptr(), gate_up.stride(0), y.data_ptr(), n, two_f // 2), "silu_mul")
        return y

    def attention_rows(
        self,
        qkv: torch.Tensor,
        cos: torch.Tensor,
        sin: torch.Tensor,
        k_cache: torch.Tensor,
        v_cache: torch.Tensor,
        start: int,
        heads: int,
    ) -> torch.Tensor:
        """RoPE, the KV-cache write and causal attention for rows qkv [n, q | k | v] at positions
        start..; caches [kv_heads, max_seq, head_dim] (one layer's) of qkv's dtype (bf16 or float32),
        cos/sin fp32 [max_seq, head_dim]. Returns [n, heads * head_dim] in qkv's dtype."""
        kv_heads, max_seq, hd = k_cache.shape
        n = qkv.shape[0]
        _need(qkv.dtype in self.DTYPES and qkv.stride(1) == 1, "qkv: bf16/fp32 rows with unit column stride")
        _need(qkv.shape[1] == (heads + 2 * kv_heads) * hd, "qkv: heads and kv_heads x head_dim columns")
        for t in (k_cache, v_cache):
            _need(t.dtype == qkv.dtype and t.is_contiguous() and t.shape == k_cache.shape, "caches")
        for t in (cos, sin):
            _need(t.dtype == torch.float32 and t.is_contiguous() and t.shape[1] == hd, "cos/sin: fp32 tables")
        _need(0 <= start and start + n <= min(max_seq, cos.shape[0]), "positions past the cache")
        out = torch.empty(n, heads * hd, dtype=qkv.dtype)
        status = self._attn[qkv.dtype](
            qkv.data_ptr(), qkv.stride(0), cos.data_ptr(), sin.data_ptr(), k_cache.data_ptr(),
            v_cache.data_ptr(), max_seq, start, n, heads, kv_heads, hd, out.data_ptr(),
        )  # fmt: skip
        _status(status, "attention")
        return out


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(f"cpu ops: {what}")


def _status(status: int, what: str) -> None:
    if status != 0:
        raise RuntimeError(f"cpu {what} failed (bad shape or out of memory)")


class GgufStack:
    """Row-stacked GGUF block matrices (q/k/v, gate/up) multiplied in one kernel call: the threads split
    the stacked rows, and the activations are prepared once. Shapes are checked here, once."""

    def __init__(self, kernel: CpuMatvec, parts: list[tuple[str, np.ndarray]], cols: int):
        if not parts:
            raise ValueError("a stack needs at least one matrix")
        for qtype, blocks in parts:
            _check_blocks(blocks, qtype, cols)
        k = len(parts)
        self.kernel, self.cols, self._blocks = kernel, cols, [b for _, b in parts]  # kept alive
        self.rows = sum(b.shape[0] for b in self._blocks)
        self._args = (
            k,
            (ctypes.c_int * k)(*(GGUF_CODES[q] for q, _ in parts)),
            (ctypes.c_void_p * k)(*(b.ctypes.data for b in self._blocks)),
            (ctypes.c_int64 * k)(*(b.shape[1] for b in self._blocks)),
            (ctypes.c_int64 * k)(*(b.shape[0] for b in self._blocks)),
        )

    def __call__(self, x: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        """x: contiguous bf16 [n <= 8, cols] -> bf16 [n, rows] (into `out` when given: bf16 [n, >= rows]
        with unit column stride)."""
        n = x.shape[0]
        if x.dtype != torch.bfloat16 or x.dim() != 2 or x.shape[1] != self.cols or not x.is_contiguous():
            raise ValueError(
                f"activations must be contiguous bf16 [n, {self.cols}], not {tuple(x.shape)} {x.dtype}"
            )
        if not 1 <= n <= MAX_ROWS:
            raise ValueError(f"the kernel takes 1..{MAX_ROWS} activation rows, not {n}")
        if out is None:
            out = torch.empty(n, self.rows, dtype=torch.bfloat16)
        elif (
            out.dtype != torch.bfloat16 or out.shape[0] != n or out.shape[1] < self.rows or out.stride(1) != 1
        ):
            raise ValueError("out must be bf16 [n, >= rows] with unit column stride")
        status = self.kernel._gguf_parts(
            *self._args, x.data_ptr(), out.data_ptr(), out.stride(0), n, self.cols
        )
        if status != 0:
            raise RuntimeError(f"cpu gguf matvec failed for {n} rows of {self.cols} (out of memory?)")
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
    key = "|".join(
        [*(p.read_text() for p in SOURCES + HEADERS), cc, version, *FLAGS, *LIBS, *arch, _cpu_signature()]
    )
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
                [cc, *FLAGS, *arch, *map(str, SOURCES), *LIBS, "-o", tmp],
                capture_output=True,
                text=True,
                timeout=300,
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
    raise CpuKernelError(f"{cc} could not build {SOURCES[0].name}: {errors[-1][0]}")


def load_cpu_matvec(cache_dir: Path) -> CpuMatvec:
    """Build (once) and load the kernel; CpuKernelError says why when it cannot be."""
    path = build_cpu_matvec(cache_dir)
    try:
        return CpuMatvec(path)
    except OSError as err:
        raise CpuKernelError(f"could not load {path}: {err}") from err
