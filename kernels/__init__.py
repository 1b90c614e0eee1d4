"""Custom CUDA kernels for the decode step (NVRTC-compiled through CuPy) and their plain-torch references.

Importing this package needs only torch; CuPy is imported when a kernel is first built.
"""

from kog.kernels.attention import AttentionWorkspace, attention_decode, attention_reference
from kog.kernels.build import MAX_ROWS, KernelBuildError, cuda_kernels_available
from kog.kernels.embed import embed_rows, embed_rows_reference
from kog.kernels.gate_up import gate_up_silu, gate_up_silu_reference
from kog.kernels.gemv import gemv, gemv_reference
from kog.kernels.lm_head import ArgmaxWorkspace, DecodeBookkeeping, lm_head_argmax, lm_head_argmax_reference
from kog.kernels.qkv_rope import (
    apply_rope_reference,
    qkv_rope,
    qkv_rope_reference,
    rope_cache_write,
    rope_inv_freq,
)
from kog.kernels.rmsnorm import rms_norm_reference
from kog.kernels.sampling import (
    argmax_tokens,
    kept_mask_reference,
    sample_tokens,
    sample_tokens_reference,
    sampling_params_tensors,
)

__all__ = [
    "MAX_ROWS",
    "ArgmaxWorkspace",
    "AttentionWorkspace",
    "DecodeBookkeeping",
    "KernelBuildError",
    "apply_rope_reference",
    "attention_decode",
    "attention_reference",
    "cuda_kernels_available",
    "embed_rows",
    "embed_rows_reference",
    "gate_up_silu",
    "argmax_tokens",
    "gate_up_silu_reference",
    "gemv",
    "gemv_reference",
    "kept_mask_reference",
    "lm_head_argmax",
    "lm_head_argmax_reference",
    "qkv_rope",
    "qkv_rope_reference",
    "rms_norm_reference",
    "rope_cache_write",
    "rope_inv_freq",
    "sample_tokens",
    "sample_tokens_reference",
    "sampling_params_tensors",
]
