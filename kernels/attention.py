"""Flash-decoding attention over the bf16 KV cache for 1..8 query rows (grouped-query heads)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from kog.kernels.build import MAX_ROWS, load_kernel
from kog.kernels.checks import check, check_out
from kog.kernels.launch import clusters_supported, f32, i32, launch, ptr

THREADS = 256  # must match ATT_THREADS
MAX_SPLITS = 512  # the merge keeps one weight per slice in the kernel's shared memory
MAX_CLUSTER = 8  # must match ATT_MAX_CLUSTER: slices of a head merged inside one thread-block cluster
CLUSTER_BATCHES = 8  # must match ATT_CLUSTER_BATCHES
BATCH = 32  # positions a block's threads cover per batch, at least (one per thread slot)


def passes(head_dim: int) -> int:
    """Positions per thread per batch (the kernel's PASSES): head_dim / 8 lanes share a position."""
    return max(1, BATCH * (head_dim // 8) // THREADS)


def cluster_context(head_dim: int, cluster: int = MAX_CLUSTER) -> int:
    """The longest context (positions, the pass's own rows included) whose slices of a head merge
    inside one cluster: a grid of `cluster` slices a row serves it at full speed."""
    batch = THREADS // (head_dim // 8) * passes(head_dim)  # positions a block covers per batch (attention.cu)
    return cluster * CLUSTER_BATCHES * batch if cluster > 1 else 0


@dataclass(frozen=True)
class AttentionWorkspace:
    """Scratch for the split-context partial results; allocate once, reuse across layers and steps."""

    part_o: torch.Tensor  # [MAX_ROWS, n_heads, max_splits, head_dim] fp32
    part_ml: torch.Tensor  # [MAX_ROWS, n_heads, max_splits, 2] fp32
    counters: torch.Tensor  # [MAX_ROWS, n_heads] int32, zero between launches (the kernel resets them)
    max_splits: int

    @classmethod
    def allocate(
        cls, n_heads: int, n_kv: int, head_dim: int, max_seq: int, device: torch.device | str
    ) -> AttentionWorkspace:
        # Enough blocks to spread a long context across the GPU; at 32k, 128 slices of 256 positions.
        max_splits = max(2, min(128, -(-max_seq // 64)))
        return cls(
            part_o=torch.empty(MAX_ROWS, n_heads, max_splits, head_dim, dtype=torch.float32, device=device),
            part_ml=torch.empty(MAX_ROWS, n_heads, max_splits, 2, dtype=torch.float32, device=device),
            counters=torch.zeros(MAX_ROWS, n_heads, dtype=torch.int32, device=device),
            max_splits=max_splits,
        )


def attention_decode(
    q: torch.Tensor,
    k_cache: torch.Tensor,
    v_cache: torch.Tensor,
    state: torch.Tensor,
    out: torch.Tensor,
    workspace: AttentionWorkspace,
    *,
    pdl: bool = False,
    cluster: int | None = None,
    splits: int | None = None,
) -> torch.Tensor:
    """out[r, h] = softmax(q[r, h] . K[:p+1]) V[:p+1] with p = state[0] + r, for q fp32 [n, n_heads*head_dim].

    `cluster`: on short contexts the context slices of a head run as one thread-block cluster of this
    many blocks and merge through distributed shared memory (default: MAX_CLUSTER where the GPU has
    clusters); long contexts, or 1, merge up to `workspace.max_splits` slices through global memory.
    `splits`: slices a row the grid holds (default `workspace.max_splits`). A grid of `cluster` slices
    leaves out the blocks that only long contexts use (`cluster_context`); it is correct at any
    context, with fewer, longer slices past that one.
    """
    if cluster is None:
        cluster = MAX_CLUSTER if clusters_supported() else 1
    check(1 <= cluster <= MAX_CLUSTER, f"cluster must be 1..{MAX_CLUSTER}, got {cluster}")
    n_kv, max_seq, head_dim = k_cache.shape
    n = q.shape[0]
    check(1 <= n <= MAX_ROWS, f"1..{MAX_ROWS} query rows, got {n}")
    check(head_dim in (32, 64, 128, 256), f"head_dim must be 32, 64, 128 or 256, got {head_dim}")
    check(
        q.dtype == torch.float32 and q.is_contiguous() and q.shape[1] % head_dim == 0,
        "q: fp32 [n, heads*head_dim]",
    )
    n_heads = q.shape[1] // head_dim
    check(n_heads % n_kv == 0, f"{n_heads} heads over {n_kv} KV heads unsupported")
    check(k_cache.dtype == torch.bfloat16 and k_cache.is_contiguous(), "k_cache must be contiguous bf16")
    check(
        tuple(v_cache.shape) == tuple(k_cache.shape) and v_cache.is_contiguous(), "v_cache must match k_cache"
    )
    check(state.dtype == torch.int32 and state.is_cuda, "state must be a device int32 tensor")
    check_out(out, (n, n_heads * head_dim), torch.float32, "out")
    check(workspace.part_o.shape[1:] == (n_heads, workspace.max_splits, head_dim), "workspace shape mismatch")
    check(workspace.max_splits <= MAX_SPLITS, f"at most {MAX_SPLITS} context slices")
    splits = workspace.max_splits if splits is None else splits
    check(1 <= splits <= workspace.max_splits, f"splits must be 1..{workspace.max_splits}, got {splits}")
    grid = (cluster, n_heads, n * -(-splits // cluster))  # slices: attention.cu
    args = [
        ptr(q), ptr(k_cache), ptr(v_cache), ptr(state), ptr(out),
        ptr(workspace.part_o), ptr(workspace.part_ml), ptr(workspace.counters),
        i32(n_heads), i32(n_kv), i32(head_dim), i32(max_seq), i32(workspace.max_splits), i32(splits),
        f32(math.log2(math.e) / math.sqrt(head_dim)), i32(cluster),
    ]  # fmt: skip
    kernel = load_kernel("attention.cu", f"attention_decode_p{passes(head_dim)}")
    launch(kernel, grid, (THREADS, 1, 1), args, pdl=pdl, cluster=cluster)
    return out


def attention_reference(
    q: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor, start_pos: int
) -> torch.Tensor:
    """Causal attention of n query rows at positions start_pos.. against the cache, fp32 [n, heads*hd]."""
    n_kv, _, head_dim = k_cache.shape
    n = q.shape[0]
    n_heads = q.shape[1] // head_dim
    length = start_pos + n
    k = k_cache[:, :length].float().repeat_interleave(n_heads // n_kv, dim=0)  # [heads, len, hd]
    v = v_cache[:, :length].float().repeat_interleave(n_heads // n_kv, dim=0)
    qh = q.float().view(n, n_heads, head_dim).transpose(0, 1)  # [heads, n, hd]
    scores = qh @ k.transpose(1, 2) / math.sqrt(head_dim)  # [heads, n, len]
    key_pos = torch.arange(length, device=q.device)
    query_pos = torch.arange(start_pos, length, device=q.device)
    scores = scores.masked_fill(key_pos[None, :] > query_pos[:, None], float("-inf"))
    return (scores.softmax(-1) @ v).transpose(0, 1).reshape(n, n_heads * head_dim)
