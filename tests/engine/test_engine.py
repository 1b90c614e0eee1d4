"""Generation on tiny models: determinism, seeds, stop strings, finish reasons, streaming, prefix reuse."""

from __future__ import annotations

import pytest
import torch
from tiny_model import CHATML, TinyModel, write_tiny_gguf

from kog.engine import Engine, Message, SamplingParams

pytestmark = pytest.mark.usefixtures("isolated_kog_home")

PROMPT = "hello world, def print(self): return the"
LONG_PROMPT = "\n".join(f"def f{i}(self, x):\n    return x * {i} + the_world" for i in range(12))


def load(model: TinyModel) -> Engine:
    return Engine.load(model.path, device="cpu", dtype="float32")  # the exact reference path


def greedy(max_tokens: int = 24, **more) -> SamplingParams:
    return SamplingParams(max_tokens=max_tokens, **more)


def test_greedy_generation_is_deterministic_and_decodes_its_tokens(tiny):
    engine = load(tiny)
    first = engine.generate(PROMPT, greedy())
    again = engine.generate(PROMPT, greedy())
    fresh = load(tiny).generate(PROMPT, greedy())
    assert first.token_ids == again.token_ids == fresh.token_ids
    assert len(set(first.token_ids)) > 3  # the tiny model says something varied
    assert first.text == engine.tokenizer.decode(first.token_ids) == fresh.text
    assert first.finish_reason == "length" and first.stats.generated_tokens == 24
    assert first.stats.prompt_tokens == engine.count_tokens(PROMPT)


def test_greedy_picks_the_argmax_of_the_logits(tiny):
    engine = load(tiny)
    ids = engine.encode(PROMPT)
    out = engine.generate(PROMPT, greedy(3)).token_ids
    expected = []
    for _ in range(3):
        logits = load(tiny).runner.forward(torch.tensor(ids + expected), 0)
        expected.append(int(logits[-1].argmax()))
    assert list(out) == expected


def test_the_same_seed_gives_the_same_sample_and_other_seeds_differ(tiny):
    engine = load(tiny)
    params = SamplingParams(max_tokens=16, temperature=1.0, top_p=0.95, seed=7)
    first = engine.generate(PROMPT, params)
    second = load(tiny).generate(PROMPT, params)
    assert first.token_ids == second.token_ids and first.text == second.text
    others = {
        engine.generate(PROMPT, SamplingParams(max_tokens=16, temperature=1.0, seed=s)).token_ids
        for s in (1, 2, 3)
    }
    assert len(others | {first.token_ids}) == 4


def _pieces(engine: Engine, prompt: str, params: SamplingParams) -> list[str]:
    return [chunk.text for chunk in engine.stream(prompt, params) if chunk.finish_reason is None]


def test_a_stop_string_spanning_chunks_cuts_the_output(tiny):
    engine = load(tiny)
    pieces = _pieces(engine, PROMPT, greedy(32))
    full = "".join(pieces)
    # A stop made of the end of one chunk and the start of the next, at its first occurrence.
    for j in range(3, len(pieces)):
        at = len("".join(pieces[:j]))
        stop = full[at - 1 : at + 2]
        if pieces[j - 1] and len(pieces[j]) >= 1 and full.find(stop) == at - 1 and len(stop) == 3:
            break
    else:
        pytest.fail(f"no chunk boundary to test in {pieces}")
    out = engine.generate(PROMPT, greedy(32, stop=(stop,)))
    assert out.finish_reason == "stop"
    assert out.text == full[: at - 1]
    streamed = list(load(tiny).stream(PROMPT, greedy(32, stop=(stop,))))
    assert "".join(c.text for c in streamed) == full[: at - 1]
    assert streamed[-1].finish_reason == "stop"
    # The engine's cache stays consistent after a stop: the next call is a fresh call's equal.
    assert engine.generate(PROMPT, greedy(32)).text == full


def test_the_earliest_of_several_stops_wins_and_a_stop_at_the_start_gives_nothing(tiny):
    engine = load(tiny)
    full = engine.generate(PROMPT, greedy(32)).text
    late, early = full[20:23], full[8:10]
    cut = min(full.find(late), full.find(early))
    assert engine.generate(PROMPT, greedy(32, stop=(late, early))).text == full[:cut]
    at_start = engine.generate(PROMPT, greedy(32, stop=("\x00never", full[:2])))
    assert (at_start.text, at_start.finish_reason) == ("", "stop")


def test_max_tokens_ends_with_length(tiny):
    out = load(tiny).generate(PROMPT, greedy(5))
    assert (len(out.token_ids), out.finish_reason, out.stats.generated_tokens) == (5, "length", 5)


def _model_ending_at(tiny: TinyModel, tmp_path) -> tuple[TinyModel, list[int], int]:
    """The same weights with the EOS id set to a token greedy decoding emits (first at index k)."""
    ids = list(load(tiny).generate(PROMPT, greedy(32)).token_ids)
    k = next(i for i in range(4, len(ids)) if ids[i] not in ids[:i] and ids[i] < 256)
    return write_tiny_gguf(tmp_path / "eos.gguf", tiny.arch, eos_token=ids[k]), ids, k


def test_eos_ends_with_stop(tiny, tmp_path):
    model, ids, k = _model_ending_at(tiny, tmp_path)
    engine = load(model)
    out = engine.generate(PROMPT, greedy(32))
    assert (out.finish_reason, list(out.token_ids)) == ("stop", ids[:k])
    assert out.text == engine.tokenizer.decode(ids[:k])
    assert out.stats.generated_tokens == k + 1  # the EOS was generated, not returned


def test_text_held_back_for_a_stop_is_kept_when_eos_ends(tiny, tmp_path):
    model, ids, k = _model_ending_at(tiny, tmp_path)
    engine = load(model)
    text = engine.tokenizer.decode(ids[:k])
    out = engine.generate(PROMPT, greedy(32, stop=(text[-1] + "\x00never",)))
    assert out.finish_reason == "stop"
    assert out.text == text


def test_stream_chunks_add_up_to_generate(tiny):
    params = SamplingParams(max_tokens=20, temperature=0.8, top_k=40, seed=3)
    chunks = list(load(tiny).stream(PROMPT, params))
    whole = load(tiny).generate(PROMPT, params)
    assert "".join(c.text for c in chunks) == whole.text
    assert tuple(i for c in chunks for i in c.token_ids) == whole.token_ids
    assert [c.finish_reason is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]
    assert all(c.stats is None for c in chunks[:-1]) and chunks[-1].stats.generated_tokens == 20


def test_a_shared_prefix_is_reused_and_changes_nothing(tiny):
    engine = load(tiny)
    first = engine.generate(LONG_PROMPT, greedy(8))
    assert first.stats.reused_tokens == 0
    longer = LONG_PROMPT + "\ndef world(self):\n    return"
    second = engine.generate(longer, greedy(8))
    fresh_engine = load(tiny)
    fresh = fresh_engine.generate(longer, greedy(8))
    n_first = engine.count_tokens(LONG_PROMPT)
    assert n_first - 2 <= second.stats.reused_tokens < second.stats.prompt_tokens
    assert fresh.stats.reused_tokens == 0
    assert second.token_ids == fresh.token_ids
    # The reused KV and the recomputed one agree, and so do the next logits.
    n = engine.count_tokens(longer) + 7
    torch.testing.assert_close(engine.runner.cache.k[:, :, :n], fresh_engine.runner.cache.k[:, :, :n])
    torch.testing.assert_close(engine.runner.cache.v[:, :, :n], fresh_engine.runner.cache.v[:, :, :n])
    probe = torch.tensor([first.token_ids[0]])
    torch.testing.assert_close(engine.runner.forward(probe, n), fresh_engine.runner.forward(probe, n))


def test_a_stream_left_early_leaves_the_engine_usable(tiny):
    engine = load(tiny)
    for n, _ in enumerate(engine.stream(LONG_PROMPT, greedy(20))):
        if n == 3:
            break
    out = engine.generate(LONG_PROMPT + " world", greedy(8))
    assert out.stats.reused_tokens > 0
    assert out.token_ids == load(tiny).generate(LONG_PROMPT + " world", greedy(8)).token_ids


def test_a_repeated_prompt_reuses_all_but_its_last_token_and_a_different_one_reuses_nothing(tiny):
    engine = load(tiny)
    engine.generate(LONG_PROMPT, greedy(4))
    again = engine.generate(LONG_PROMPT, greedy(4))
    assert again.stats.reused_tokens == again.stats.prompt_tokens - 1
    other = engine.generate("world " + LONG_PROMPT, greedy(4))
    assert other.stats.reused_tokens == 0
    assert other.token_ids == load(tiny).generate("world " + LONG_PROMPT, greedy(4)).token_ids
    # A shorter prompt sharing a prefix with the cache reuses it too.
    half = LONG_PROMPT[: len(LONG_PROMPT) // 2]
    engine.generate(LONG_PROMPT, greedy(4))
    short = engine.generate(half, greedy(4))
    assert short.stats.reused_tokens >= engine.count_tokens(half) - 2
    assert short.token_ids == load(tiny).generate(half, greedy(4)).token_ids


def test_k_tokens_at_once_give_the_logits_of_k_single_steps(tiny):
    engine = load(tiny)
    ids = torch.tensor(engine.encode(LONG_PROMPT)[:40])
    together = engine.runner.forward(ids, 0)
    one_by_one = load(tiny).runner
    single = torch.cat([one_by_one.forward(ids[i : i + 1], i) for i in range(len(ids))])
    torch.testing.assert_close(together, single, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(
        engine.runner.forward(ids[30:], 30, last_only=True), together[-1:], rtol=1e-4, atol=1e-4
    )
    # A prefix, then k positions verified in one pass, mixed with single steps.
    split = torch.cat([engine.runner.forward(ids[:25], 0), engine.runner.forward(ids[25:29], 25)])
    split = torch.cat([split, *(engine.runner.forward(ids[i : i + 1], i) for i in range(29, 40))])
    torch.testing.assert_close(split, single, rtol=1e-4, atol=1e-4)


def test_overwritten_positions_roll_back(tiny):
    runner = load(tiny).runner
    ids = torch.tensor(load(tiny).encode(LONG_PROMPT)[:30])
    runner.forward(ids[:20], 0)
    original = runner.forward(ids[20:], 20)
    draft = torch.tensor([101, 102, 103, 104, 105, 106, 107])
    rejected = runner.forward(draft, 20)
    assert not torch.allclose(rejected[1:], original[1:7])
    again = runner.forward(ids[20:], 20)
    torch.testing.assert_close(again, original, rtol=1e-6, atol=1e-6)


def test_chat_messages_are_rendered_with_the_model_template(tiny):
    engine = load(tiny)
    messages = [Message("system", "be brief"), Message("user", "hello world")]
    rendered = "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nhello world<|im_end|>\n<|im_start|>assistant\n"
    assert engine.model.chat_template.source == CHATML
    assert engine.render(messages) == rendered
    ids = engine.encode(messages)
    start, end = tiny.tokens.index("<|im_start|>"), tiny.tokens.index("<|im_end|>")
    assert ids[0] == start and ids.count(start) == 3 and ids.count(end) == 2
    assert engine.count_tokens(messages) == len(ids) == engine.count_tokens(rendered)
    assert (
        engine.generate(messages, greedy(6)).token_ids == load(tiny).generate(rendered, greedy(6)).token_ids
    )


def test_count_tokens_follows_the_merges(tiny):
    engine = load(tiny)
    assert engine.count_tokens("hello world") == 2  # "hello", " world"
    # Merges apply by rank: "Ġ d" comes before "e f", so " def" cannot become "Ġdef" but "def" is one token.
    ids = engine.encode("hello world def self\ndef")
    assert [tiny.tokens[i] for i in ids] == ["hello", "Ġworld", "Ġd", "ef", "Ġs", "e", "lf", "Ċ", "def"]
    assert engine.count_tokens("") == 0
    assert engine.count_tokens("<|im_end|>") == 1
    assert (
        engine.info.context_length == 512 and engine.info.vocab_size == 309 and engine.info.arch == tiny.arch
    )


def test_the_end_of_sequence_token_ends_the_call_without_running_it(tiny_qwen2):
    engine = Engine.load(tiny_qwen2.path, device="cpu", dtype="float32", draft="none")
    plain = engine.generate("def f(x):", SamplingParams(max_tokens=12)).token_ids
    end = next(i for i in range(1, len(plain)) if plain[i] not in plain[:i])
    engine.tokenizer.eos_ids = frozenset({plain[end]})
    calls = []
    forward = engine.runner.forward
    engine.runner.forward = lambda ids, start, last_only=False: (
        calls.append(start) or forward(ids, start, last_only)
    )
    out = engine.generate("def f(x):", SamplingParams(max_tokens=12))
    assert out.token_ids == plain[:end] and out.finish_reason == "stop"
    assert len(calls) == 1 + end  # the prompt, then one pass per token before the end token


def test_score_gives_each_reply_tokens_log_probability_from_one_teacher_forced_pass(tiny):
    engine = load(tiny)
    reply = list(engine.generate(PROMPT, greedy(12)).token_ids)
    reply[5] = (reply[5] + 7) % engine.cfg.vocab_size  # a token greedy decoding would not pick
    ids = engine.encode(PROMPT)
    want = torch.log_softmax(load(tiny).runner.forward(torch.tensor(ids + reply), 0).float(), -1)
    scores = engine.score(PROMPT, reply, top=3)
    assert [s.token for s in scores] == reply
    assert "".join(s.text for s in scores) == engine.tokenizer.decode(reply)
    for i, s in enumerate(scores):
        row = want[len(ids) - 1 + i]
        assert s.logprob == pytest.approx(row[reply[i]].item(), abs=1e-4)
        assert [a.token for a in s.top] == row.topk(3).indices.tolist()
        assert s.top[0].logprob >= s.top[1].logprob >= s.top[2].logprob
        assert s.top[0].text == engine.tokenizer.decode([s.top[0].token])
    # greedy picked every token but the one replaced
    assert all(s.top[0].token == s.token for i, s in enumerate(scores) if i < 5)
    assert scores[5].top[0].token != scores[5].token


def test_a_reply_begun_with_given_tokens_continues_them(tiny):
    engine = load(tiny)
    whole = engine.generate(PROMPT, greedy(16)).token_ids
    engine.score(PROMPT, list(whole))  # leaves the cache holding the prompt and the reply
    rest = "".join(c.text for c in engine.stream(PROMPT, greedy(10), begun=whole[:6]))
    fresh = load(tiny).generate(PROMPT, greedy(16))
    assert rest == engine.tokenizer.decode(list(fresh.token_ids[6:]))


@pytest.mark.gpu
def test_scores_and_begun_replies_on_the_gpu_match_the_cpu(tiny_qwen2):
    from kog.kernels import cuda_kernels_available

    if not cuda_kernels_available():
        pytest.skip("needs a CUDA GPU and CuPy")
    gpu, cpu = Engine.load(tiny_qwen2.path, device="cuda"), load(tiny_qwen2)
    reply = list(gpu.generate(PROMPT, greedy(16)).token_ids)
    got, want = gpu.score(PROMPT, reply), cpu.score(PROMPT, reply)
    # the GPU runs the stored blocks with quantized activations, the CPU reference float32
    assert max(abs(g.logprob - w.logprob) for g, w in zip(got, want, strict=True)) < 0.25
    assert sum(g.top[0].token == w.top[0].token for g, w in zip(got, want, strict=True)) >= 14
    rest = [t for c in gpu.stream(PROMPT, greedy(10), begun=reply[:6]) for t in c.token_ids]
    # the begun tokens go through prefill, the generated ones went through decode steps: near-ties may part
    assert len(rest) == 10 and sum(a == b for a, b in zip(rest, reply[6:], strict=True)) >= 8


@pytest.mark.gpu
def test_without_a_drafter_the_gpu_engine_captures_its_one_row_graphs_at_load(tiny_qwen2):
    from kog.kernels import cuda_kernels_available

    if not cuda_kernels_available():
        pytest.skip("needs a CUDA GPU and CuPy")
    plain = Engine.load(tiny_qwen2.path, device="cuda", draft="none")
    assert plain.runner.graphs._graphs and {n for n, _, _ in plain.runner.graphs._graphs} == {1}
    drafting = Engine.load(tiny_qwen2.path, device="cuda")
    assert {n for n, _, _ in drafting.runner.graphs._graphs} == set(range(1, drafting.runner.max_rows + 1))
    assert plain.generate(PROMPT, greedy(8)).token_ids == drafting.generate(PROMPT, greedy(8)).token_ids
